"""What every command shares: the workspace it works in, the ledger, how findings print."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from officeflow.errors import OfficeflowError

if TYPE_CHECKING:
    from officeflow.findings import Finding
    from officeflow.ledger import Ledger
    from officeflow.settings import Workspace

# Imported in the functions below, not here: settings parses TOML and the ledger loads sqlite3,
# which `officeflow --help` does not need (tests/test_startup.py).


def is_workspace(root: Path) -> bool:
    """A folder officeflow has set up: its config, its state, or both inbox/ and outbox/."""
    from officeflow.settings import CONFIG_FILE, STATE_DIR

    return ((root / CONFIG_FILE).is_file() or (root / STATE_DIR).is_dir()
            or ((root / "inbox").is_dir() and (root / "outbox").is_dir()))


def workspace_of(ctx: click.Context) -> Workspace:
    """The workspace every command but `init` works in; never silently created elsewhere."""
    from officeflow.settings import CONFIG_FILE, open_workspace

    root = Path(ctx.obj["workspace"])
    if not is_workspace(root):
        raise OfficeflowError(f"{root.resolve()} 不是 officeflow 工作区（没有 {CONFIG_FILE}，也没有 inbox/ 和 "
                              f"outbox/）。请用 -w 指定工作区，或先运行 officeflow init {root}")
    return open_workspace(root)


class opened_ledger:  # noqa: N801 (used as a function: `with opened_ledger(ws)`)
    """`with opened_ledger(workspace) as ledger:` opens and always closes the ledger."""

    def __init__(self, workspace: Workspace) -> None:
        from officeflow.ledger import workspace_ledger

        self.ledger = workspace_ledger(workspace)

    def __enter__(self) -> Ledger:
        return self.ledger

    def __exit__(self, *_: object) -> None:
        self.ledger.close()


def print_findings(file: str, findings: list[Finding]) -> None:
    """`file › sheet!cell: message`, errors in red, warnings in yellow."""
    from officeflow.findings import Severity

    for finding in findings:
        colour = "red" if finding.severity is Severity.ERROR else "yellow"
        label = "错误" if finding.severity is Severity.ERROR else "警告"
        click.echo(f"{file} › {finding.located()}  " + click.style(f"[{label} {finding.code}]", fg=colour))


def doc_id_of(typed: str) -> str:
    """A 流程编号 as the ledger holds it: `qa-iqc-2024-001` or full-width input finds QA-IQC-2024-001."""
    return unicodedata.normalize("NFKC", typed).strip().upper()


def version_of(typed: str) -> str:
    """A 版本号 as the ledger holds it: `v1.0` and `Ｖ１.０` are V1.0."""
    text = unicodedata.normalize("NFKC", typed).strip()
    return "V" + text[1:] if text[:1] in "vV" and text[1:2].isdigit() else text


def _doc_id_callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(doc_id_of(v) for v in value)
    return doc_id_of(value) if isinstance(value, str) else value


def _version_callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    return version_of(value) if isinstance(value, str) else value


DOC_ID = {"callback": _doc_id_callback}  # `@click.argument("doc_id", **DOC_ID)`
VERSION = {"callback": _version_callback}


class KindChoice(click.Choice):  # type: ignore[type-arg]
    """click.Choice over the kinds, looked up on first use: the group loads without them."""

    def __init__(self) -> None:
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        from officeflow.kinds import KINDS

        return tuple(sorted(KINDS))

    @choices.setter
    def choices(self, _: Any) -> None:
        pass  # click.Choice.__init__ assigns (); the kinds are always read live
