"""Run the portal under waitress, a production WSGI server (pure Python, threads, no C build)."""

from __future__ import annotations

import logging

from officeflow.errors import OfficeflowError
from officeflow.portal.config import PortalSettings
from officeflow.portal.state import Portal
from officeflow.portal.web import PortalApp
from officeflow.settings import Workspace

log = logging.getLogger(__name__)


def serve(workspace: Workspace, settings: PortalSettings, host: str = "127.0.0.1", port: int = 8000,
          threads: int = 8) -> None:
    """Serve until interrupted. Uploads are capped by the server before the application sees them."""
    try:
        import waitress  # the `portal` extra
    except ImportError as exc:
        raise OfficeflowError("运行流程知识库需要 waitress：pip install 'officeflow[portal]'") from exc

    portal = Portal(workspace)
    app = PortalApp(portal, settings)
    portal.library()  # build the index before the first visitor waits for it
    log.info("portal: http://%s:%d/ (workspace %s)", host, port, workspace.root)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="officeflow",
                       max_request_body_size=app.max_upload + 1024 * 1024,
                       clear_untrusted_proxy_headers=True, expose_tracebacks=False,
                       channel_timeout=60)
    finally:
        portal.close()
