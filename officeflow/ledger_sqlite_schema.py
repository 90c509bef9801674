"""The SQLite ledger's tables, their versioned upgrades (PRAGMA user_version), and rows → records."""

from __future__ import annotations

from officeflow.records import VERSION_COLUMNS, version_from_row

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    kind TEXT NOT NULL,
    kind_label TEXT NOT NULL,
    name TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    category TEXT NOT NULL,
    department TEXT NOT NULL,
    owner TEXT NOT NULL,
    approver TEXT NOT NULL,
    document_path TEXT NOT NULL,
    source_path TEXT NOT NULL,
    manifest_path TEXT NOT NULL,
    source_sha256 TEXT NOT NULL UNIQUE,
    document_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (doc_id, version)
);
CREATE TABLE IF NOT EXISTS revision_entries (
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    date TEXT,
    content TEXT NOT NULL,
    reason TEXT NOT NULL,
    author TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    PRIMARY KEY (doc_id, version)
);
CREATE TABLE IF NOT EXISTS withdrawals (
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    withdrawn_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (doc_id, version)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    actor TEXT NOT NULL,
    host TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE IF NOT EXISTS training_copies (
    serial TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    printed_at TEXT NOT NULL,
    pdf_path TEXT NOT NULL,
    returned_at TEXT,
    UNIQUE (doc_id, version, sequence)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Versioned upgrades, applied in order to a ledger whose PRAGMA user_version is lower.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (),  # 1: the schema above
    (  # 2: as-issued records beside reading copies; how each copy is marked; closed training copies
        "ALTER TABLE versions ADD COLUMN issued_path TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE versions ADD COLUMN issued_sha256 TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE versions ADD COLUMN marking TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE training_copies ADD COLUMN closed_as TEXT NOT NULL DEFAULT ''",
    ),
    (  # 3: a document's events (status, audit DOC_ID, the portal's 问题反馈) without scanning the trail
        "CREATE INDEX IF NOT EXISTS events_doc ON events (doc_id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_RECORD_COLUMNS = VERSION_COLUMNS
_record = version_from_row
