"""The small part of HTTP the portal needs, on plain WSGI: requests, responses, forms, CSRF.

No framework: the portal has a dozen routes, and everything a request carries is bounded
here (body size, field count, field length) before any of it reaches the application.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

CSRF_COOKIE = "officeflow_csrf"
MAX_FIELDS = 20
MAX_QUERY = 4096

# No script at all, nothing from another origin: a page that lets a stored `<script>` through
# still cannot run it.
SECURITY_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
]
_REASONS = {200: "OK", 303: "See Other", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 413: "Payload Too Large", 500: "Internal Server Error",
            503: "Service Unavailable"}


class HttpError(Exception):
    """Answer with this status and a Chinese message (never a stack trace)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    file: Path | None = None  # streamed instead of body

    def start(self, start_response: Any) -> Iterable[bytes]:
        headers = [("Content-Type", self.content_type), *SECURITY_HEADERS, *self.headers]
        if self.file is not None:
            handle = self.file.open("rb")
            headers.append(("Content-Length", str(self.file.stat().st_size)))
            start_response(f"{self.status} {_REASONS.get(self.status, '')}", headers)
            return _chunks(handle)
        headers.append(("Content-Length", str(len(self.body))))
        start_response(f"{self.status} {_REASONS.get(self.status, '')}", headers)
        return [self.body]


def _chunks(handle: Any) -> Iterable[bytes]:
    with handle:
        while chunk := handle.read(65536):
            yield chunk


def attachment(filename: str) -> tuple[str, str]:
    """Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(ch if ch.isascii() and ch.isalnum() or ch in "._-" else "_" for ch in filename)
    return ("Content-Disposition", f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}")


@dataclass
class Request:
    environ: dict[str, Any]

    @property
    def method(self) -> str:
        return str(self.environ.get("REQUEST_METHOD", "GET")).upper()

    @property
    def path(self) -> str:
        raw = str(self.environ.get("PATH_INFO", "/"))
        try:  # WSGI hands the path over as latin-1 text of the raw bytes
            return raw.encode("latin-1").decode("utf-8")
        except UnicodeError as exc:
            raise HttpError(400, "请求地址不是有效的 UTF-8。") from exc

    def query(self) -> dict[str, str]:
        text = str(self.environ.get("QUERY_STRING", ""))
        if len(text) > MAX_QUERY:
            raise HttpError(400, "查询参数过长。")
        return {k: v[0] for k, v in parse_qs(text, max_num_fields=MAX_FIELDS).items()}

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(str(self.environ.get("HTTP_COOKIE", "")))
        except CookieError:
            return {}
        return {k: m.value for k, m in jar.items()}

    def body(self, limit: int) -> bytes:
        """The request body, refused before reading when it is larger than `limit`."""
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError as exc:
            raise HttpError(400, "请求长度无效。") from exc
        if length > limit:
            raise HttpError(413, f"提交的内容过大（上限 {limit / 1048576:.1f} MB）。")
        return self.environ["wsgi.input"].read(length) if length > 0 else b""

    def form(self, limit: int) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
        """(fields, files by field name → (file name, bytes)) of a urlencoded or multipart POST."""
        content_type = str(self.environ.get("CONTENT_TYPE", ""))
        data = self.body(limit)
        if content_type.startswith("application/x-www-form-urlencoded"):
            try:
                fields = parse_qs(data.decode("utf-8"), max_num_fields=MAX_FIELDS)
            except (UnicodeError, ValueError) as exc:
                raise HttpError(400, "表单内容无效。") from exc
            return {k: v[0] for k, v in fields.items()}, {}
        if content_type.startswith("multipart/form-data"):
            return _multipart(content_type, data)
        raise HttpError(400, "不支持的表单类型。")


def _multipart(content_type: str, data: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + data)
    if not message.is_multipart():
        raise HttpError(400, "表单内容无效。")
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for count, part in enumerate(message.iter_parts()):
        if count >= MAX_FIELDS:
            raise HttpError(400, "表单字段过多。")
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, payload)
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return fields, files


class Csrf:
    """Signed double-submit tokens: a random cookie, and in each form its HMAC under a server key."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    def cookie_for(self, request: Request) -> tuple[str, list[tuple[str, str]]]:
        """The visitor's cookie value, and the header that sets it when it is new."""
        value = request.cookies().get(CSRF_COOKIE, "")
        if len(value) == 43 and value.isascii() and value.replace("-", "").replace("_", "").isalnum():
            return value, []
        value = secrets.token_urlsafe(32)
        return value, [("Set-Cookie", f"{CSRF_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict")]

    def token(self, cookie: str) -> str:
        return hmac.new(self.key, cookie.encode("ascii"), hashlib.sha256).hexdigest()

    def check(self, request: Request, fields: dict[str, str]) -> None:
        cookie = request.cookies().get(CSRF_COOKIE, "")
        sent = fields.get("csrf", "")
        if not cookie or not sent or not hmac.compare_digest(sent, self.token(cookie)):
            raise HttpError(403, "表单已过期或来源不明（CSRF 校验未通过）：请刷新页面后重新提交。")
