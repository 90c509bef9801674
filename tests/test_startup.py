"""Start-up: the CLI loads only what a command uses (issue 15, item 1).

Guarded by what a fresh interpreter has in sys.modules after the import or the command, not
by timing (bench/startup_bench.py prints the times). Each heavy package below costs tens to
hundreds of milliseconds to import; none is needed to print help or to read the ledger.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from factory import make_workbook

from officeflow.ledger import open_ledger
from officeflow.pipeline import process_files
from officeflow.settings import Workspace, load_settings

HEAVY = ("docxtpl", "docx", "openpyxl", "pydantic", "lxml", "jinja2", "watchdog", "resvg_py",
         "psycopg", "defusedxml", "PIL")

# Standard modules the read-only commands do without: each costs 1-6 ms of their start-up
# (logging with traceback, OpenSSL behind hashlib, json's regexes, calendar with locale…).
NOT_FOR_READERS = ("logging", "hashlib", "json", "calendar", "locale", "tempfile", "shutil", "socket",
                   "getpass")

_PROBE = """
import sys
from officeflow.cli import main
code = None
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(%r))
import json
print(json.dumps([code, loaded]))
"""


def heavy_modules_after(*argv: str, cwd: Path | None = None, among: tuple[str, ...] = HEAVY) -> list[str]:
    """The modules of `among` a fresh interpreter has loaded after `officeflow ARGV…`, which must
    succeed (a command that stops early loads little and would prove nothing)."""
    done = subprocess.run([sys.executable, "-c", _PROBE % (among,), *argv], cwd=cwd,
                          capture_output=True, text=True, check=True)
    code, heavy = json.loads(done.stdout.strip().splitlines()[-1])
    assert code in (0, None), done.stdout + done.stderr
    return heavy


def test_importing_the_cli_loads_no_heavy_package() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, officeflow.cli; "
                           f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_help_loads_no_heavy_package() -> None:
    assert heavy_modules_after("--help") == []


def test_help_of_a_kind_command_still_lists_the_kinds() -> None:
    done = subprocess.run([sys.executable, "-m", "officeflow", "template", "--help"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[:2] == [
        "Usage: python -m officeflow template [OPTIONS]",
        "                                     {optimization|scenario|sop|standard}",
    ]


@pytest.fixture
def issued(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace whose ledger holds one issued document, CRM-CS-2024-005."""
    book = make_workbook(tmp_path, "sop.xlsx")
    ledger = open_ledger(workspace.ledger_path)
    try:
        outcome = process_files([book], workspace, ledger)[0]
    finally:
        ledger.close()
    assert (outcome.doc_id, outcome.findings) == ("CRM-CS-2024-005", [])
    return workspace


@pytest.mark.parametrize("command", [("status", "CRM-CS-2024-005"), ("due",), ("audit",),
                                     ("next-id", "CRM-CS")])
def test_ledger_commands_load_no_heavy_package(issued: Workspace, command: tuple[str, ...]) -> None:
    assert heavy_modules_after("-w", str(issued.root), *command) == []


@pytest.mark.parametrize("command", [("status", "CRM-CS-2024-005"), ("due",), ("audit",),
                                     ("next-id", "CRM-CS")])
def test_ledger_commands_load_only_the_standard_modules_they_use(issued: Workspace,
                                                                  command: tuple[str, ...]) -> None:
    assert heavy_modules_after("-w", str(issued.root), *command, among=NOT_FOR_READERS) == []


def test_a_customised_settings_file_is_read_without_pydantic(issued: Workspace) -> None:
    """Values of their declared types are checked without pydantic: the start-up of a real
    workspace, not only of one that keeps every default."""
    (issued.root / "officeflow.toml").write_text(
        'review_levels = ["初审", "部门会签", "终审"]\ndepartments = ["客服部", "质量部"]\n'
        "review_interval_months = 12\nmax_file_mb = 5\nstrict = true\nself_approval = 'error'\n"
        "[notices]\nsmtp_host = 'mail.example.com'\n", encoding="utf-8")
    assert heavy_modules_after("-w", str(issued.root), "due", "--within", "400") == []


def test_a_value_pydantic_converts_is_still_accepted(tmp_path: Path) -> None:
    """A value that is not yet of its type goes to pydantic, which converts it as before."""
    (tmp_path / "officeflow.toml").write_text("review_interval_months = '3'\nmax_file_mb = 5\n",
                                              encoding="utf-8")
    settings = load_settings(tmp_path)
    assert (settings.review_interval_months, settings.max_file_mb) == (3, 5.0)
