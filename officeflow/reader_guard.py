"""The container checks run before a workbook is loaded: format, zip, size, macros, limits."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from officeflow.findings import Finding, error
from officeflow.xlsxguard import Package, check_package

# Guards against hostile files; the watcher's size limit is checked before this, the
# streaming limits of xlsxguard (rows, columns, cells, merged area, XML bytes) after.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200


class Unreadable(Exception):
    """The file is not a workbook we can read; carries the findings that say why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.message for f in findings))
        self.findings = findings


def check_container(data: bytes) -> dict[str, Any]:
    """Raises Unreadable for a file refused; else the parts parsed whole on the way (part name →
    lxml tree), for the reader to use instead of parsing them again."""
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise Unreadable([error(
            "file.legacy-or-encrypted",
            "文件是旧版 .xls 格式或已加密：请在 Excel 中取消密码保护，另存为 .xlsx 后重新提交。",
        )])
    if data[:2] != b"PK":
        raise Unreadable([error("file.not-workbook", "文件不是 Excel 工作簿（.xlsx），请使用模板填写后提交。")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return check_archive(archive)
    except zipfile.BadZipFile:
        raise Unreadable([error("file.corrupt", "文件已损坏，无法作为 Excel 工作簿打开，请重新保存后提交。")]) from None


def check_archive(archive: zipfile.ZipFile) -> dict[str, Any]:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO and total > 10_000_000:
        raise Unreadable([error("file.too-large", "工作簿解压后体积异常（疑似压缩炸弹），已拒收。")])
    if "xl/vbaProject.bin" in names:
        raise Unreadable([error("file.macros", "工作簿包含宏，不予接收：请另存为不含宏的 .xlsx 后提交。")])
    try:
        package = Package(archive)
        refused = check_package(package)
    except (zipfile.BadZipFile, MemoryError):
        raise
    except Exception as exc:  # a malformed or hostile part (ParseError, EntitiesForbidden, zlib.error…)
        raise Unreadable([error("file.corrupt", f"无法读取工作簿（{type(exc).__name__}），"
                                "请用 Excel 打开检查后重新保存提交。")]) from exc
    if refused:
        raise Unreadable(refused)
    return package.trees
