"""The PostgreSQL ledger's schema: versioned migrations, the audit chain's guards, the app role's rights.

Who may do what (two roles; neither needs to be a superuser):
- the owner role (e.g. `officeflow_owner`) owns the tables and runs the migrations
  (`officeflow ledger migrate`, or the first open of an empty database);
- the app role (e.g. `officeflow`) is what every host runs as; `grant_statements(role)` gives it
  exactly what the ledger uses: it may INSERT audit events but never UPDATE, DELETE or TRUNCATE
  them, and it may only read the chain's anchor (`chain_head`), which the database itself moves
  forward on every insert (a SECURITY DEFINER trigger owned by the owner role).
So a host's credentials cannot rewrite or truncate the trail, nor move the anchor to hide it; only
the owner role can (by disabling triggers), and `integrity_problems()` reports disabled guards.
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import tuple_row

MIGRATIONS_TABLE = "officeflow_migrations"
# pg_advisory_xact_lock(class, hashtext(current_schema())): one ledger per schema, its own locks.
LOCK_CLASS_MIGRATE = 0x0FF1CE01
LOCK_CLASS_CHAIN = 0x0FF1CE02
LOCK_CLASS_EXPORT = 0x0FF1CE03
LOCK_CLASS_DOCUMENT = 0x0FF1CE04  # with hashtext(schema:doc_id): one host per 流程编号 at a time

_TEXT = 'TEXT COLLATE "C" NOT NULL'  # byte order, as SQLite and Python sort

_LEDGER = f"""
CREATE TABLE versions (
    doc_id {_TEXT}, version {_TEXT}, kind {_TEXT}, kind_label {_TEXT}, name {_TEXT},
    effective_date {_TEXT}, category {_TEXT}, department {_TEXT}, owner {_TEXT}, approver {_TEXT},
    document_path {_TEXT} CONSTRAINT versions_one_path UNIQUE,
    source_path {_TEXT}, manifest_path {_TEXT},
    source_sha256 {_TEXT} CONSTRAINT versions_one_source UNIQUE,
    document_sha256 {_TEXT}, received_at {_TEXT},
    issued_path {_TEXT} DEFAULT '', issued_sha256 {_TEXT} DEFAULT '', marking {_TEXT} DEFAULT '',
    CONSTRAINT versions_one_version PRIMARY KEY (doc_id, version)
);
CREATE UNIQUE INDEX versions_one_issued_path ON versions (issued_path) WHERE issued_path <> '';
CREATE TABLE revision_entries (
    doc_id {_TEXT}, version {_TEXT}, date TEXT COLLATE "C",
    content {_TEXT}, reason {_TEXT}, author {_TEXT}, reviewer {_TEXT},
    PRIMARY KEY (doc_id, version)
);
CREATE TABLE withdrawals (
    doc_id {_TEXT}, version {_TEXT}, withdrawn_on {_TEXT}, reason {_TEXT}, actor {_TEXT},
    PRIMARY KEY (doc_id, version)
);
CREATE TABLE training_copies (
    serial TEXT COLLATE "C" PRIMARY KEY, doc_id {_TEXT}, version {_TEXT}, sequence INTEGER NOT NULL,
    recipient {_TEXT}, printed_at {_TEXT}, pdf_path {_TEXT}, returned_at TEXT COLLATE "C",
    closed_as {_TEXT} DEFAULT '',
    UNIQUE (doc_id, version, sequence)
);
CREATE TABLE meta (key TEXT COLLATE "C" PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE events (
    id BIGINT PRIMARY KEY CHECK (id > 0),
    at {_TEXT}, event {_TEXT}, doc_id {_TEXT}, version {_TEXT}, file {_TEXT}, sha256 {_TEXT},
    actor {_TEXT}, host {_TEXT}, detail {_TEXT}, prev_hash {_TEXT}, hash {_TEXT},
    -- two events sealing the same predecessor would be a fork: the database refuses it outright
    CONSTRAINT events_no_fork UNIQUE (prev_hash)
);
CREATE TABLE chain_head (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    id BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO chain_head VALUES (TRUE, 0, '');

CREATE FUNCTION officeflow_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION officeflow_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION officeflow_refuse_change();
CREATE TRIGGER chain_head_no_delete BEFORE DELETE ON chain_head
    FOR EACH ROW EXECUTE FUNCTION officeflow_refuse_change();
CREATE TRIGGER chain_head_no_truncate BEFORE TRUNCATE ON chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION officeflow_refuse_change();

-- Every inserted event must follow the last one; the anchor moves with it. Runs as the owner, so
-- the app role needs no right on chain_head beyond SELECT. The row lock serialises appenders even
-- if one skipped the advisory lock; each statement below then sees what the previous one committed.
CREATE FUNCTION officeflow_chain_append() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    last_id BIGINT;
    last_hash TEXT;
BEGIN
    PERFORM 1 FROM chain_head FOR UPDATE;
    SELECT id, hash INTO last_id, last_hash FROM events ORDER BY id DESC LIMIT 1;
    IF NEW.prev_hash <> coalesce(last_hash, '') OR NEW.id <= coalesce(last_id, 0) THEN
        RAISE EXCEPTION 'the audit chain would fork: event #% does not follow #%', NEW.id, coalesce(last_id, 0)
            USING ERRCODE = 'unique_violation';
    END IF;
    INSERT INTO chain_head VALUES (TRUE, NEW.id, NEW.hash)
        ON CONFLICT (one) DO UPDATE SET id = EXCLUDED.id, hash = EXCLUDED.hash;
    RETURN NEW;
END $$;
CREATE TRIGGER events_chain BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION officeflow_chain_append();
"""

_CLAIMS = f"""
CREATE TABLE intake_claims (
    path {_TEXT} PRIMARY KEY,          -- relative to the inbox, '/'-separated
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    sha256 {_TEXT},
    host {_TEXT},
    token {_TEXT},                     -- this claim's own id: renew/release only by its holder
    claimed_at TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL,  -- the database's clock, never a host's
    taken_from {_TEXT} DEFAULT ''      -- the host whose lease ran out, when taken over
);
"""

# Each step is applied once, in order, in one transaction, and recorded in MIGRATIONS_TABLE.
MIGRATIONS: tuple[str, ...] = (
    _LEDGER,  # 1: the ledger (as SQLite's schema 2) with the chain's guards
    _CLAIMS,  # 2: intake claims shared by the watcher hosts
    "CREATE INDEX IF NOT EXISTS events_doc ON events (doc_id)",  # 3: a document's events without a scan
)
SCHEMA_VERSION = len(MIGRATIONS)

_CREATE_MIGRATIONS = f"""
CREATE TABLE {MIGRATIONS_TABLE} (
    version INTEGER PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_by TEXT NOT NULL DEFAULT current_user
)"""


def _scalar(conn: Any, query: str, params: tuple[Any, ...] = ()) -> Any:
    with conn.cursor(row_factory=tuple_row) as cursor:
        return cursor.execute(query, params).fetchone()[0]


def schema_version(conn: Any) -> int:
    """The last migration applied (0: an empty database)."""
    if _scalar(conn, "SELECT to_regclass(%s)", (MIGRATIONS_TABLE,)) is None:
        return 0
    return int(_scalar(conn, f"SELECT coalesce(max(version), 0) FROM {MIGRATIONS_TABLE}"))


def migrate(conn: Any) -> list[int]:
    """Bring the schema up to SCHEMA_VERSION; returns the steps applied (none when current).

    Two hosts opening an empty database at once: the advisory lock lets one create, the other
    then finds it done. `conn` is an autocommit psycopg connection.
    """
    if schema_version(conn) >= SCHEMA_VERSION:
        return []
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", (LOCK_CLASS_MIGRATE,))
        current = schema_version(conn)
        if current == 0:
            conn.execute(_CREATE_MIGRATIONS)
        for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
            conn.execute(step)
            conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (version) VALUES (%s)", (number,))
            applied.append(number)
    return applied


def grant_statements(role: str, schema: str = "public") -> list[str]:
    """What the app role needs, and nothing more (run by the owner role)."""
    quoted = '"' + role.replace('"', '""') + '"'
    tables = "versions, revision_entries, withdrawals, training_copies, intake_claims"
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
        f"GRANT SELECT ON {MIGRATIONS_TABLE}, chain_head TO {quoted}",
        f"GRANT SELECT, INSERT ON events TO {quoted}",  # never UPDATE, DELETE, TRUNCATE
        f"GRANT SELECT, INSERT, UPDATE ON meta TO {quoted}",
        # rebuild replaces the document state (not the trail); claims are released by deleting
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {quoted}",
    ]
