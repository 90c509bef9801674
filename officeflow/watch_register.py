"""The register export of the watcher: once per quiet spell, retried, no update lost."""

from __future__ import annotations

import logging
import time
from datetime import date

from officeflow.ledger import Ledger
from officeflow.ledger_errors import database_errors
from officeflow.publish import publish
from officeflow.settings import Workspace

log = logging.getLogger("officeflow.watcher")

REGISTER_MAX_DELAY = 60.0  # under a steady stream, still export at least this often
REGISTER_STAMP = "register.stamp"
STALE_CHECK_SECONDS = 2.0  # how often an idle watcher asks the ledger whether the register is behind


class RegisterExporter:
    """Exports the register once per quiet spell, retries failures, loses no update."""

    def __init__(self, workspace: Workspace, ledger: Ledger, quiet_seconds: float) -> None:
        self.workspace = workspace
        self.ledger = ledger
        self.quiet_seconds = quiet_seconds
        self.stamp_path = workspace.state_dir / REGISTER_STAMP
        self.dirty = (ledger.register_stale() or self._fingerprint() != self._read_stamp()
                      or not workspace.register_path.is_file())
        self.day = date.today()
        self.dirty_since = time.monotonic()
        self.last_change = 0.0
        self.next_try = 0.0
        self.next_stale_check = 0.0
        self.failures = 0
        self.last_error = ""
        self.exports = 0

    def _fingerprint(self) -> str:
        versions = self.ledger.versions()
        newest = max((v.received_at.isoformat() for v in versions), default="")
        return f"{len(versions)} {newest} {date.today().isoformat()}"

    def _read_stamp(self) -> str:
        try:
            return self.stamp_path.read_text(encoding="utf-8")
        except OSError:
            return ""

    def changed(self, now: float) -> None:
        if not self.dirty:
            self.dirty_since = now
        self.dirty = True
        self.last_change = now

    def maybe_export(self, now: float, busy: bool) -> None:
        """Export when dirty and the inbox has been quiet (or the data waited too long)."""
        if date.today() != self.day:  # a new day: statuses follow the calendar
            self.day = date.today()
            self.changed(now)
        if not self.dirty and now >= self.next_stale_check:
            # Another host (or `process`) issued and has not exported, e.g. it died first.
            self.next_stale_check = now + STALE_CHECK_SECONDS
            try:
                stale = self.ledger.register_stale()
            except database_errors() as exc:  # the database is away: asked again later
                log.warning("无法向台账数据库确认总台账是否最新，稍后再问：%s", exc)
                stale = False
            if stale:
                self.changed(now)
        if not self.dirty or now < self.next_try:
            return
        overdue = now - self.dirty_since >= REGISTER_MAX_DELAY
        if (busy or now - self.last_change < self.quiet_seconds) and not overdue:
            return
        self.export(now)

    def export(self, now: float) -> bool:
        fingerprint = self._fingerprint()
        try:
            with self.ledger.export_lock() as mine:  # one exporter at a time across hosts
                if not mine:  # another host is exporting: try again once it is done
                    self.next_try = now + max(self.quiet_seconds, 0.5)
                    log.info("另一台主机正在导出总台账，稍后再导出")
                    return False
                count = publish(self.workspace, self.ledger)
            self.stamp_path.write_text(fingerprint, encoding="utf-8")
        except (OSError, *database_errors()) as exc:
            self.failures += 1
            delay = min(max(self.quiet_seconds, 0.5) * 2 ** self.failures, REGISTER_MAX_DELAY)
            self.next_try = now + delay
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("总台账导出失败（%s），%.1f 秒后重试", self.last_error, delay)
            return False
        self.dirty, self.failures, self.last_error, self.next_try = False, 0, "", 0.0
        if self.ledger.register_stale():  # another host issued while we exported: again, later
            self.changed(now)
        self.exports += 1
        log.info("总台账已导出：%d 行", count)
        return True

    def finish(self, attempts: int) -> str:
        """Final export before exiting; returns the error if it still fails."""
        for attempt in range(attempts):
            if not self.dirty or self.export(time.monotonic()):
                return ""
            if attempt + 1 < attempts:
                time.sleep(min(max(self.quiet_seconds, 0.05) * 2 ** attempt, 2.0))
        return self.last_error
