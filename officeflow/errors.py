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
