"""Word → PDF with LibreOffice headless: a private profile per process, one call per batch.

Two soffice processes sharing a user profile make one of them fail quietly, so every
process gets its own profile (reused across its calls: a fresh profile costs seconds) and
every call its own output folder. A fontconfig file given only to the soffice subprocess
maps the Windows Chinese font names the templates use (宋体, 黑体…) to Noto CJK SC, so the
PDF shows Simplified Chinese glyphs instead of boxes or Japanese forms.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from officeflow.errors import OfficeflowError

DEFAULT_TIMEOUT = 300.0  # seconds for one batch
_SERIF = ("宋体", "SimSun", "新宋体", "NSimSun", "仿宋", "仿宋_GB2312", "FangSong", "楷体",
          "楷体_GB2312", "KaiTi", "STSong", "STFangsong", "STKaiti")
_SANS = ("黑体", "SimHei", "微软雅黑", "Microsoft YaHei", "等线", "DengXian", "STHeiti")


class PdfError(OfficeflowError):
    """LibreOffice is missing or could not convert a document."""


def fontconfig_text() -> str:
    """A fontconfig file: the system configuration plus Chinese font-name aliases."""
    def rule(names: Sequence[str], target: str) -> str:
        return "".join(
            f'  <match target="pattern"><test name="family"><string>{name}</string></test>'
            f'<edit name="family" mode="assign" binding="strong"><string>{target}</string></edit></match>\n'
            for name in names)

    return ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
            '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
            + rule(_SERIF, "Noto Serif CJK SC") + rule(_SANS, "Noto Sans CJK SC")
            + "</fontconfig>\n")


def find_soffice() -> str:
    """The soffice executable, or a PdfError that says how to install it."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise PdfError(
        "未找到 LibreOffice（soffice），无法生成 PDF 培训副本。请安装：apt-get install "
        "libreoffice-writer-nogui fonts-noto-cjk\n"
        "LibreOffice (soffice) was not found, so no PDF can be made. "
        "Install it: apt-get install libreoffice-writer-nogui fonts-noto-cjk")


_folders: dict[int, Path] = {}  # by process id: a forked worker makes its own


def _private_folder() -> Path:
    """This process's folder: its LibreOffice profile and fontconfig file, removed at exit."""
    pid = os.getpid()
    folder = _folders.get(pid)
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="officeflow-soffice-"))
        (folder / "fonts.conf").write_text(fontconfig_text(), encoding="utf-8")
        _folders[pid] = folder
        atexit.register(shutil.rmtree, folder, True)
    return folder


def convert_to_pdf(documents: Sequence[Path], out_dir: Path, timeout: float = DEFAULT_TIMEOUT) -> list[Path]:
    """Convert .docx files to PDFs in out_dir with ONE soffice call; returns the PDF paths."""
    if not documents:
        return []
    soffice = find_soffice()
    private = _private_folder()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="convert-", dir=private) as work:
        # A private output folder: a stale PDF of the same name can never pass as this one.
        target = Path(work)
        env = {**os.environ, "FONTCONFIG_FILE": str(private / "fonts.conf"), "HOME": str(private)}
        command = [soffice, f"-env:UserInstallation={(private / 'profile').as_uri()}", "--headless",
                   "--norestore", "--nolockcheck", "--nodefault", "--convert-to", "pdf:writer_pdf_Export",
                   "--outdir", str(target), *(str(d) for d in documents)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            raise PdfError(f"LibreOffice 转换超时（{timeout:.0f} 秒）/ LibreOffice timed out after "
                           f"{timeout:.0f} s converting {len(documents)} document(s)") from exc
        finally:
            _kill_group(process)  # soffice may leave helpers (oosplash) behind
        results = []
        for document in documents:
            pdf = target / f"{document.stem}.pdf"
            if not pdf.is_file() or pdf.stat().st_size == 0 or pdf.read_bytes()[:5] != b"%PDF-":
                detail = (stderr or stdout).decode("utf-8", "replace").strip()[-500:]
                raise PdfError(f"LibreOffice 未能生成 PDF：{document.name} / LibreOffice made no PDF "
                               f"for {document.name} (exit {process.returncode}): {detail}")
            final = out_dir / pdf.name
            shutil.move(str(pdf), final)
            results.append(final)
    return results


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.returncode is None:
        process.wait()
