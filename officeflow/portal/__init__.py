"""The process knowledge base in the browser (issue 14): search, a page per document,
downloads, an online check, 问题反馈, a JSON API, and release notices by mail.

    library   what the ledger says, as of today: documents, versions, statuses
    search    the local full-text index (SQLite FTS5, trigram) beside the ledger
    feedback  问题反馈 kept as audit events in the ledger
    files     the files a request may get: known to the ledger, found by 流程编号 and version
    web       the WSGI application; server runs it under waitress
    notices   release notices, review reminders, withdrawal notices by SMTP
"""
