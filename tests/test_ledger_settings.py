"""Ledger audit trail and settings loading."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tomllib
from pathlib import Path

import pytest
from conftest import TODAY
from factory import make_workbook

from officeflow.errors import ConfigError
from officeflow.ledger import Event, SqliteLedger
from officeflow.pipeline import check_workbook, process_bytes
from officeflow.settings import Settings, Workspace, default_config_text, load_settings


def test_events_are_hash_chained_and_append_only(tmp_path: Path, workspace: Workspace,
                                                 ledger: SqliteLedger) -> None:
    source = make_workbook(tmp_path)
    process_bytes(source.read_bytes(), source.name, workspace, ledger, TODAY)
    ledger.add_events([Event("exported", detail="1 rows")])
    events = ledger.events()
    assert [e["event"] for e in events] == ["received", "validated", "issued", "exported"]
    previous = ""
    for event in events:
        assert event["prev_hash"] == previous
        body = {k: v for k, v in event.items() if k not in ("id", "hash")}
        digest = hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        assert event["hash"] == digest
        previous = event["hash"]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        ledger._db.execute("UPDATE events SET detail = 'edited' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        ledger._db.execute("DELETE FROM events")


def test_name_longer_than_60_characters_is_located(tmp_path: Path, workspace: Workspace,
                                                   ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path, fields={"流程名称": "客" * 61})
    findings = check_workbook(path.read_bytes(), workspace, ledger, TODAY).findings
    assert [(f.code, str(f.where), f.message) for f in findings] == [
        ("field.invalid", "基本信息!B4", "内容过长：不能超过 60 个字符，请精简。")]


def test_default_config_uncommented_is_valid_and_equals_defaults(tmp_path: Path) -> None:
    text = "\n".join(line[2:] for line in default_config_text().splitlines()
                     if line[2:].split(" = ")[0] in Settings.model_fields)
    assert Settings.model_validate(tomllib.loads(text)) == Settings()
    (tmp_path / "officeflow.toml").write_text(default_config_text(), encoding="utf-8")
    assert load_settings(tmp_path) == Settings()


def test_config_overrides_and_rejects_unknown_keys(tmp_path: Path) -> None:
    (tmp_path / "officeflow.toml").write_text('review_levels = ["初审", "终审"]\n', encoding="utf-8")
    assert load_settings(tmp_path).review_levels == ["初审", "终审"]
    (tmp_path / "officeflow.toml").write_text("reviewlevels = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="reviewlevels"):
        load_settings(tmp_path)
