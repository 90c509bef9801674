"""officeflow: document control for process documentation filled in Excel."""

__version__ = "0.1.0"
