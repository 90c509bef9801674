"""The portal with its ledger on PostgreSQL (the throwaway test cluster, tests/pgcluster.py).

The same workspace as test_portal_http, issued by the real pipeline into PostgreSQL through
`ledger_url`; `officeflow serve` runs as its own process and reads it over the socket. The
search index stays a local SQLite FTS5 file beside the workspace (docs/portal.md says why).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pgcluster import pg_cluster, pg_url  # noqa: F401 - fixtures
from portal_world import FORM, Client, build, form, q, running_portal, token_of

from officeflow.ledger import workspace_ledger
from officeflow.ledger_pg import PgLedger
from officeflow.portal.feedback import list_feedback
from officeflow.settings import open_workspace

pytestmark = pytest.mark.slow


def test_the_portal_serves_a_postgresql_ledger(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    root = tmp_path / "ws"
    root.mkdir()
    (root / "officeflow.toml").write_text(f'ledger_url = "{pg_url}"\n', encoding="utf-8")
    build(root)
    with running_portal(root, tmp_path / "serve.log") as base:
        client = Client(base)
        listed = client.json("/api/documents")
        assert [(d["doc_id"], d["version"], d["status"]) for d in listed["documents"]] == [
            ("CRM-CS-2024-005", "V1.1", "现行有效"), ("CSC-2024-001", "V1.0", "待生效")]
        found = client.json("/api/search?q=" + q("故障类投诉"))
        assert [(r["doc_id"], r["version"]) for r in found["results"]] == [("CRM-CS-2024-005", "V1.1")]
        withdrawn = client.json("/api/search?status=" + q("已废止"))
        assert [(r["doc_id"], r["version"]) for r in withdrawn["results"]] == [("HR-TR-2024-012", "V1.0")]
        status, _, body = client.get("/doc/CRM-CS-2024-005/V1.0.docx")
        assert (status, body) == (200, next((root / "outbox").rglob("CRM-CS-2024-005_V1.0.docx")).read_bytes())
        token = token_of(client.get("/doc/CRM-CS-2024-005")[2])
        fields = {"csrf": token, "version": "V1.1", "name": "张三", "department": "技术部", "text": "时限过紧"}
        status, headers, _ = client.request("POST", "/doc/CRM-CS-2024-005/feedback", form(fields), FORM)
        assert (status, headers["location"]) == (303, "/doc/CRM-CS-2024-005?sent=1#feedback")
        page = client.get("/doc/CRM-CS-2024-005")[2].decode("utf-8")
        assert "（技术部） · V1.1</div><p>时限过紧</p>" in page
    ledger = workspace_ledger(open_workspace(root))
    try:
        assert isinstance(ledger, PgLedger)
        kept = [(f.doc_id, f.version, f.name, f.text) for f in list_feedback(ledger, "CRM-CS-2024-005")]
    finally:
        ledger.close()
    assert kept == [("CRM-CS-2024-005", "V1.1", "张三", "时限过紧")]
    state = root / ".officeflow"
    assert not (state / "ledger.sqlite3").exists()  # the ledger is PostgreSQL only
    assert (state / "portal" / "search.sqlite3").is_file()  # the index is local, derived data
