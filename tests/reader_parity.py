"""Old reader (openpyxl) against the fast one (xlsx_grid): the same findings and values?

Used by tests/test_reader_parity.py, and as a pytest plugin over the whole suite:

    python -m pytest -p tests.reader_parity tests/

wraps `officeflow.reader.read_workbook` before any test module imports it, so every workbook
any test reads in-process goes through both readers; the session fails if one differs and
prints how many workbooks were compared and how many took the fast path.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from officeflow import reader
from officeflow.reader import RawDocument, Unreadable

# The real reader even when this module is imported twice (as the plugin and by a test).
_original = getattr(reader.read_workbook, "original", reader.read_workbook)
compared: dict[str, int] = {"workbooks": 0, "fast": 0}
mismatches: list[str] = []


def _value(raw: reader.RawValue) -> tuple[Any, ...]:
    # type and repr: 1, 1.0 and True are equal in Python and must not pass for one another
    return (type(raw.value).__name__, repr(raw.value), raw.where.sheet, raw.where.cell, raw.is_formula)


def snapshot(data: bytes, fast: bool) -> tuple[Any, ...]:
    """Everything a reader gives for `data`: findings, fields, tables, epoch (or refusal)."""
    with warnings.catch_warnings():
        # As in production: openpyxl's warnings (unsupported extensions…) are not errors there.
        warnings.simplefilter("ignore")
        try:
            doc = _original(data, fast=fast)
        except Unreadable as exc:
            return ("unreadable", [f.as_dict("x") for f in exc.findings])
    return document_snapshot(doc)


def document_snapshot(doc: RawDocument) -> tuple[Any, ...]:
    tables = {
        key: (t.sheet, t.header_row, t.columns, t.extra_columns,
              [(r.row, {k: _value(v) for k, v in r.values.items()},
                {k: _value(v) for k, v in r.extra.items()}) for r in t.rows])
        for key, t in doc.tables.items()
    }
    return ("read", doc.kind.key, doc.info_sheet, [f.as_dict("x") for f in doc.findings],
            {k: _value(v) for k, v in doc.fields.items()}, tables, repr(doc.epoch))


def took_fast_path(data: bytes) -> bool:
    """True when xlsx_grid reads the workbook itself (no fallback to openpyxl)."""
    from officeflow.xlsx_grid import load_grid

    try:
        load_grid(data)
    except Exception:
        return False
    return True


def checked_read_workbook(data: bytes, *, fast: bool = True) -> RawDocument:
    """read_workbook that also runs the other reader and records any difference."""
    old, new = snapshot(data, fast=False), snapshot(data, fast=True)
    compared["workbooks"] += 1
    compared["fast"] += took_fast_path(data)
    if old != new:
        mismatches.append(f"{len(data)} bytes: old {str(old)[:600]} … new {str(new)[:600]}")
    return _original(data, fast=fast)


checked_read_workbook.original = _original  # type: ignore[attr-defined]


def pytest_configure(config: pytest.Config) -> None:
    """Only called when this module is loaded as a plugin (-p tests.reader_parity)."""
    reader.read_workbook = checked_read_workbook  # type: ignore[assignment]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if reader.read_workbook is not checked_read_workbook:
        return
    print(f"\nreader parity: {compared['workbooks']} workbooks compared, {compared['fast']} on the fast path, "
          f"{len(mismatches)} different")
    for line in mismatches[:20]:
        print("  " + line)
    if mismatches:
        session.exitstatus = 1
