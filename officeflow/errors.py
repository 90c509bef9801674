"""The small exception tree; the CLI turns these into messages and exit codes.

User mistakes inside a workbook are never exceptions: they are Findings.
"""


class OfficeflowError(Exception):
    """Base of errors the CLI reports without a traceback."""


class ConfigError(OfficeflowError):
    """officeflow.toml is invalid."""


class TemplateError(OfficeflowError):
    """A Word or Excel template is missing or does not match its kind."""


class NotFoundError(OfficeflowError):
    """A document or version asked for on the command line does not exist."""


class TemplateVariablesError(TemplateError):
    """A Word template uses variables its kind does not provide (an operator's fix, not an author's)."""

    def __init__(self, template: object, unknown: list[str], allowed: list[str]) -> None:
        self.template, self.unknown, self.allowed = template, unknown, allowed
        super().__init__(f"Word 模板 {template} 使用了未知的变量 {'、'.join(unknown)}。\n"
                         f"可用的变量：{'、'.join(allowed)}\n"
                         "这是模板的问题，不是工作簿的问题：请修改模板后重试。")
