"""The input gate every entry point passes (process, validate, watch): what a file must be to be read.

A regular file (never a FIFO, device or a symlink followed), no larger than `max_file_mb`,
named `.xlsx`. The container itself (zip, encryption, bombs, sheet sizes) is checked by the
reader, which every entry point also goes through. So `validate`, `process` and the watcher
refuse exactly the same files with the same findings.
"""

from __future__ import annotations

import os
from pathlib import Path

from officeflow.findings import Finding, error
from officeflow.fsutil import FileTooLarge, NotRegularFile, read_regular_file

WORKBOOK_SUFFIX = ".xlsx"
WRONG_TYPE: dict[str, tuple[str, str]] = {
    ".xls": ("file.legacy", "旧版 .xls 格式不予接收：请在 Excel 中另存为 .xlsx 后重新提交。"),
    ".xlsm": ("file.macros", "含宏的工作簿（.xlsm）不予接收：请另存为不含宏的 .xlsx 后提交。"),
    ".xltm": ("file.macros", "含宏的模板（.xltm）不予接收：请另存为不含宏的 .xlsx 后提交。"),
    ".xlam": ("file.macros", "Excel 加载项（.xlam）不予接收：请提交填写好的 .xlsx 工作簿。"),
    ".xlsb": ("file.binary", "二进制工作簿（.xlsb）不予接收：请在 Excel 中另存为 .xlsx 后提交。"),
}
NOT_WORKBOOK = ("file.not-workbook", "文件不是 Excel 工作簿（.xlsx），请使用模板填写后提交。")


def admit(path: Path, max_file_mb: float, shown: str = "") -> tuple[bytes | None, list[Finding]]:
    """(the file's bytes, findings): bytes are None when the file was not read at all."""
    shown = shown or path.name
    try:
        data = read_regular_file(path, int(max_file_mb * 1024 * 1024))
    except NotRegularFile as exc:
        return None, [error("file.not-regular", f"“{shown}”是{exc.kind}，不是普通文件：未读取，也不退回其内容。"
                                                "请直接提交工作簿文件本身。")]
    except FileTooLarge as exc:
        return None, [error("file.too-large",
                            f"文件大小 {exc.size / 1048576:.1f} MB 超过上限 {max_file_mb:g} MB，请精简后重新提交。")]
    if not data:
        return data, [error("file.empty", "文件为空（0 字节）：请重新保存工作簿后提交。")]
    suffix = os.path.splitext(shown)[1].lower()
    if suffix != WORKBOOK_SUFFIX:
        code, message = WRONG_TYPE.get(suffix, NOT_WORKBOOK)
        return data, [error(code, message)]
    return data, []
