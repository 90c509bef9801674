"""What every command shares: the workspace it works in, the ledger, how findings print."""

from __future__ import annotations

from pathlib import Path

import click

from officeflow.errors import OfficeflowError
from officeflow.findings import Finding, Severity
from officeflow.ledger import Ledger, open_ledger
from officeflow.settings import CONFIG_FILE, STATE_DIR, Workspace, open_workspace


def is_workspace(root: Path) -> bool:
    """A folder officeflow has set up: its config, its state, or both inbox/ and outbox/."""
    return ((root / CONFIG_FILE).is_file() or (root / STATE_DIR).is_dir()
            or ((root / "inbox").is_dir() and (root / "outbox").is_dir()))


def workspace_of(ctx: click.Context) -> Workspace:
    """The workspace every command but `init` works in; never silently created elsewhere."""
    root = Path(ctx.obj["workspace"])
    if not is_workspace(root):
        raise OfficeflowError(f"{root.resolve()} 不是 officeflow 工作区（没有 {CONFIG_FILE}，也没有 inbox/ 和 "
                              f"outbox/）。请用 -w 指定工作区，或先运行 officeflow init {root}")
    return open_workspace(root)


class opened_ledger:  # noqa: N801 (used as a function: `with opened_ledger(ws)`)
    """`with opened_ledger(workspace) as ledger:` opens and always closes the ledger."""

    def __init__(self, workspace: Workspace) -> None:
        self.ledger = open_ledger(workspace.ledger_path)

    def __enter__(self) -> Ledger:
        return self.ledger

    def __exit__(self, *_: object) -> None:
        self.ledger.close()


def print_findings(file: str, findings: list[Finding]) -> None:
    """`file › sheet!cell: message`, errors in red, warnings in yellow."""
    for finding in findings:
        colour = "red" if finding.severity is Severity.ERROR else "yellow"
        label = "错误" if finding.severity is Severity.ERROR else "警告"
        click.echo(f"{file} › {finding.located()}  " + click.style(f"[{label} {finding.code}]", fg=colour))
