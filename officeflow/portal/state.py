"""The portal's view of one workspace, shared by the server's threads.

Each thread opens its own ledger (a SQLite connection belongs to its thread). The library and
the search index are rebuilt only when the ledger's register generation moves (something was
issued or withdrawn) or the date changes (statuses follow the calendar), so a page costs a few
indexed reads; 问题反馈 is read from the ledger by the page itself and needs no rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from officeflow.ledger import workspace_ledger
from officeflow.ledger_protocol import Ledger
from officeflow.portal.files import PdfCache
from officeflow.portal.library import Library, load_library
from officeflow.portal.search import SearchIndex
from officeflow.settings import Workspace

PORTAL_FOLDER = "portal"


class Portal:
    def __init__(self, workspace: Workspace, open_ledger_fn: Callable[[], Ledger] | None = None,
                 today: Callable[[], date] = date.today) -> None:
        self.workspace = workspace
        self._open = open_ledger_fn or (lambda: workspace_ledger(workspace))
        self._today = today
        self._local = threading.local()
        self._ledgers: list[Ledger] = []
        self._lock = threading.Lock()
        self._library: Library | None = None
        folder = workspace.state_dir / PORTAL_FOLDER
        self.index = SearchIndex(folder)
        self.pdfs = PdfCache(folder / "pdf")

    @property
    def ledger(self) -> Ledger:
        ledger = getattr(self._local, "ledger", None)
        if ledger is None:
            ledger = self._open()
            self._local.ledger = ledger
            with self._lock:
                self._ledgers.append(ledger)
        return ledger

    def library(self) -> Library:
        """The library as of today and the ledger's register generation; rebuilt when either moved."""
        generation, today = self.ledger.register_generation(), self._today()
        library = self._library
        if library is not None and library.generation == generation and library.day == today:
            return library
        with self._lock:
            library = self._library
            if library is None or library.generation != generation or library.day != today:
                library = load_library(self.ledger, self.workspace.settings.review_interval_months, today)
                self.index.refresh(self.workspace.outbox, library)
                self._library = library
        return library

    def close(self) -> None:
        with self._lock:
            for ledger in self._ledgers:
                ledger.close()
            self._ledgers.clear()
