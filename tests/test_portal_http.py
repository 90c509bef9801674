"""The portal over a real socket: `officeflow serve` runs as its own process (waitress) on loopback.

Every route, and the hostile requests: path traversal in every parameter, forged forms, huge
uploads, a zip bomb, unknown 流程编号. Data comes from a workspace built by the real pipeline.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from factory import make_workbook
from portal_world import (
    FORM,
    PENDING_IN,
    Client,
    build,
    findings_of,
    form,
    multipart,
    q,
    running_portal,
    token_of,
)

from officeflow.ledger import open_ledger
from officeflow.portal.feedback import list_feedback

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("portal") / "ws"
    build(root)
    with running_portal(root, root.parent / "serve.log") as base:
        yield base, root


def test_search_shows_current_versions_and_finds_chinese_substrings(world: tuple[str, Path]) -> None:
    client = Client(world[0])
    two_characters = client.json("/api/search?q=" + q("投诉"))
    assert [(r["doc_id"], r["version"], r["status"]) for r in two_characters["results"]] == [
        ("CRM-CS-2024-005", "V1.1", "现行有效")]
    in_a_step = client.json("/api/search?q=" + q("故障类投诉"))
    assert [(r["doc_id"], r["version"], r["snippet"]) for r in in_a_step["results"]] == [
        ("CRM-CS-2024-005", "V1.1",
         "…级表》 ≤15分钟 紧急投诉升级时间≤15分钟 1.3 技术部分析并处理故障类投诉 《处理方案》 ≤2个工作日 方案一次通过率≥90% CRM-TAB-0")]
    every_version = client.json("/api/search?all=1&q=" + q("投诉"))
    assert sorted((r["doc_id"], r["version"]) for r in every_version["results"]) == [
        ("CRM-CS-2024-005", "V1.0"), ("CRM-CS-2024-005", "V1.1"), ("HR-TR-2024-012", "V1.0")]
    by_id = client.json("/api/search?q=" + q("crm-cs-2024"))
    assert [r["doc_id"] for r in by_id["results"]] == ["CRM-CS-2024-005"]


def test_search_filters_by_category_department_status_and_kind(world: tuple[str, Path]) -> None:
    client = Client(world[0])
    listed = client.json("/api/search?q=")
    assert sorted((r["doc_id"], r["version"], r["status"]) for r in listed["results"]) == [
        ("CRM-CS-2024-005", "V1.1", "现行有效"), ("CSC-2024-001", "V1.0", "待生效")]
    withdrawn = client.json("/api/search?status=" + q("已废止"))
    assert [(r["doc_id"], r["version"]) for r in withdrawn["results"]] == [("HR-TR-2024-012", "V1.0")]
    by_department = client.json("/api/search?department=" + q("安全部"))
    assert [r["doc_id"] for r in by_department["results"]] == ["CSC-2024-001"]
    by_category = client.json("/api/search?all=1&category=" + q("客户服务类"))
    assert [(r["doc_id"], r["version"]) for r in by_category["results"]] == [
        ("CRM-CS-2024-005", "V1.0"), ("CRM-CS-2024-005", "V1.1")]
    assert client.json("/api/search?kind=" + q("业务场景流程"))["results"] == []
    status, _, body = client.get("/api/search?status=" + q("作废"))
    assert (status, json.loads(body)) == (400, {"error": "状态只能是：待生效、现行有效、已失效、已废止。", "status": 400})


def test_the_search_page_lists_hits_with_their_badges(world: tuple[str, Path]) -> None:
    status, headers, body = Client(world[0]).get("/?q=" + q("投诉分级"))
    page = body.decode("utf-8")
    assert status == 200
    assert headers["content-security-policy"].startswith("default-src 'none'; style-src 'self'")
    assert '<p class="count" id="count">找到 1 条结果（现行有效版本）</p>' in page
    assert ('<a class="title" href="/doc/CRM-CS-2024-005">客户投诉处理流程</a>\n'
            '    <span class="badge current">现行有效</span>') in page
    assert "<mark>投诉分级</mark>" in page


def test_a_document_page_shows_the_current_version_its_history_and_feedback(world: tuple[str, Path]) -> None:
    status, _, body = Client(world[0]).get("/doc/CRM-CS-2024-005")
    page = body.decode("utf-8")
    assert status == 200
    facts = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page)
    assert facts == [("流程编号", "CRM-CS-2024-005"), ("版本号", "V1.1"), ("生效日期", "2025-01-01"),
                     ("流程类别", "客户服务类"), ("主责部门", "客服部"), ("流程负责人", "王敏"), ("终审人", "赵总"),
                     ("下次定期回顾", "2025-07-01"), ("适用部门", "客服部、技术部、法务部"),
                     ("适用角色", "客服专员、客服主管、技术支持工程师")]
    assert '<span class="badge current" id="status">现行有效</span>' in page
    rows = re.findall(r'<tr class="(\w+)"><td>(V[\d.]+)</td><td><span class="badge \w+">(.*?)</span>', page)
    assert rows == [("current", "V1.1", "现行有效"), ("superseded", "V1.0", "已失效")]
    assert '<a href="/doc/CRM-CS-2024-005/V1.0.docx">Word（已失效标记副本）</a>' in page
    assert 'id="download-docx" href="/doc/CRM-CS-2024-005/V1.1.docx">下载 Word（现行有效）</a>' in page
    assert "<td>V1.1</td><td>2024-12-01</td><td>增加投诉分级步骤</td><td>紧急投诉响应慢</td>" in page
    assert '<img src="/doc/CRM-CS-2024-005/V1.1.flow.svg"' in page


def test_withdrawn_and_pending_documents_are_never_offered_as_current(world: tuple[str, Path]) -> None:
    client = Client(world[0])
    page = client.get("/doc/HR-TR-2024-012")[2].decode("utf-8")
    assert ('<p class="notice withdrawn" id="withdrawn">本流程已于 2024-10-08 废止（原因：并入 HR-TR-2024-020），'
            "不得再作为现行文件使用。</p>") in page
    assert 'id="download-docx"' not in page
    pending = client.get("/doc/CSC-2024-001")[2].decode("utf-8")
    day = (date.today() + timedelta(days=PENDING_IN)).isoformat()
    assert f'<p class="notice pending">V1.0 将于 {day} 生效。</p>' in pending
    assert 'id="download-docx" href="/doc/CSC-2024-001/V1.0.docx">下载 Word（待生效）</a>' in pending


def test_a_script_in_a_step_is_shown_as_text_everywhere(world: tuple[str, Path]) -> None:
    client = Client(world[0])
    hits = client.get("/?all=1&q=" + q("巡检消防"))[2].decode("utf-8")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in hits
    api = client.json("/api/search?q=" + q("<script>"))
    assert [r["doc_id"] for r in api["results"]] == ["CSC-2024-001"]
    for path in ("/?q=" + q("<script>alert(1)</script>"), "/doc/CSC-2024-001", "/?q=" + q("巡检")):
        page = client.get(path)[2].decode("utf-8")
        assert "<script" not in page, path


def test_downloads_are_the_archived_reading_copies(world: tuple[str, Path]) -> None:
    base, root = world
    client = Client(base)
    outbox = root / "outbox"
    for version in ("V1.1", "V1.0"):  # V1.0's reading copy is the one marked 已失效
        status, headers, body = client.get(f"/doc/CRM-CS-2024-005/{version}.docx")
        assert status == 200
        assert body == next(outbox.rglob(f"CRM-CS-2024-005_{version}.docx")).read_bytes()
        assert headers["content-disposition"] == (f'attachment; filename="CRM-CS-2024-005_{version}.docx"; '
                                                  f"filename*=UTF-8''CRM-CS-2024-005_{version}.docx")
    status, headers, body = client.get("/doc/CRM-CS-2024-005/V1.1.flow.svg")
    assert (status, headers["content-type"], body[:5]) == (200, "image/svg+xml", b"<?xml")
    assert "content-disposition" not in headers
    status, _, body = client.get("/doc/HR-TR-2024-012/V1.0.flow.svg")
    assert status == 200  # the pipeline draws one for every version


@pytest.mark.parametrize("path", [
    "/doc/..%2F..%2Fofficeflow.toml", "/doc/../../etc/passwd", "/doc/%2e%2e/%2e%2e/x.docx",
    "/doc/CRM-CS-2024-005/..%2F..%2F..%2Fofficeflow.toml.docx", "/doc/CRM-CS-2024-005/../V1.1.docx",
    "/doc/CRM-CS-2024-005/V1.1%2F..%2FV1.0.docx", "/doc/NOPE-2024-001", "/doc/NOPE-2024-001/V1.0.pdf",
    "/static/..%2Fpages.py", "/static/portal.css%00.py", "/api/documents/..%2F..%2Fledger.sqlite3",
    "/doc/CRM-CS-2024-005/V9.9.docx", "/.officeflow/ledger.sqlite3", "/outbox/",
])
def test_nothing_outside_the_ledger_is_served(world: tuple[str, Path], path: str) -> None:
    status, _, body = Client(world[0]).get(path)
    assert status in (400, 404)
    text = body.decode("utf-8")
    assert "Traceback" not in text and "sqlite" not in text.lower() and "[notices]" not in text


def test_an_unknown_document_is_a_chinese_404(world: tuple[str, Path]) -> None:
    status, _, body = Client(world[0]).get("/doc/NOPE-2024-001")
    assert status == 404
    assert '<p>没有流程编号为“NOPE-2024-001”的文件。</p>' in body.decode("utf-8")
    status, _, body = Client(world[0]).get("/api/documents/NOPE-2024-001")
    assert (status, json.loads(body)) == (404, {"error": "没有流程编号为“NOPE-2024-001”的文件。", "status": 404})


def test_feedback_needs_the_csrf_token_and_is_kept_in_the_ledger(world: tuple[str, Path]) -> None:
    base, root = world
    client = Client(base)
    token = token_of(client.get("/doc/CRM-CS-2024-005")[2])
    fields = {"version": "V1.1", "name": "张三", "department": "技术部", "text": "步骤1.3的时限\n在周末无法达到"}
    forged = Client(base)  # another site's form: no cookie, or a cookie without the matching token
    status, _, body = forged.request("POST", "/doc/CRM-CS-2024-005/feedback", form(fields), FORM)
    assert status == 403
    assert "CSRF 校验未通过" in body.decode("utf-8")
    status, _, _ = client.request("POST", "/doc/CRM-CS-2024-005/feedback", form({**fields, "csrf": "0" * 64}), FORM)
    assert status == 403
    status, headers, _ = client.request("POST", "/doc/CRM-CS-2024-005/feedback", form({**fields, "csrf": token}), FORM)
    assert (status, headers["location"]) == (303, "/doc/CRM-CS-2024-005?sent=1#feedback")
    ledger = open_ledger(root / ".officeflow" / "ledger.sqlite3")
    try:
        kept = [(f.doc_id, f.version, f.name, f.department, f.text) for f in list_feedback(ledger, "CRM-CS-2024-005")]
    finally:
        ledger.close()
    assert ("CRM-CS-2024-005", "V1.1", "张三", "技术部", "步骤1.3的时限\n在周末无法达到") in kept
    page = client.get("/doc/CRM-CS-2024-005?sent=1")[2].decode("utf-8")
    assert "（技术部） · V1.1</div><p>步骤1.3的时限\n在周末无法达到</p>" in page
    status, _, body = client.request("POST", "/doc/CRM-CS-2024-005/feedback",
                                     form({**fields, "text": "  ", "csrf": token}), FORM)
    assert status == 400
    assert '<p class="notice bad" id="feedback-message">请填写反馈内容。</p>' in body.decode("utf-8")


def test_the_online_check_lists_findings_by_cell_and_stores_nothing(world: tuple[str, Path], tmp_path: Path) -> None:
    base, root = world
    client = Client(base)
    token = token_of(client.get("/check")[2])
    bad = make_workbook(tmp_path, "坏的.xlsx", fields={"流程编号": "crm-2024", "生效日期": "明天"})
    body, headers = multipart({"csrf": token}, "坏的.xlsx", bad.read_bytes())
    status, _, page = client.request("POST", "/check", body, headers)
    text = page.decode("utf-8")
    assert status == 200
    assert '<p class="verdict bad" id="verdict">发现 2 个错误、0 个警告。</p>' in text
    assert findings_of(text) == [
        ("基本信息!B5", "错误", "流程编号“crm-2024”不符合编号规则（前缀-类别-年份-序号），如 CRM-CS-2024-005。"),
        ("基本信息!B7", "错误", "“生效日期”不是有效日期（“明天”），请填写 YYYY-MM-DD，如 2024-08-01。")]
    assert sorted(p.name for p in (root / "inbox").iterdir()) == []
    good, headers = multipart({"csrf": token}, "好的.xlsx", make_workbook(tmp_path, "g.xlsx", fields={"流程编号": "CRM-CS-2024-099"}).read_bytes())
    text = client.request("POST", "/check", good, headers)[2].decode("utf-8")
    assert '<p class="verdict good" id="verdict">检查通过，没有发现问题。</p>' in text
    forged, headers = multipart({}, "坏的.xlsx", bad.read_bytes())
    assert client.request("POST", "/check", forged, headers)[0] == 403


def test_hostile_uploads_are_refused_with_a_finding(world: tuple[str, Path]) -> None:
    client = Client(world[0])
    token = token_of(client.get("/check")[2])
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    assert bomb.tell() < 1024 * 1024
    body, headers = multipart({"csrf": token}, "bomb.xlsx", bomb.getvalue())
    status, _, page = client.request("POST", "/check", body, headers)
    assert status == 200
    assert [level for _, level, _ in findings_of(page.decode("utf-8"))] == ["错误"]
    macro, headers = multipart({"csrf": token}, "宏.xlsm", b"PK\x03\x04")
    text = client.request("POST", "/check", macro, headers)[2].decode("utf-8")
    assert [m for *_, m in findings_of(text)] == ["含宏的工作簿（.xlsm）不予接收：请另存为不含宏的 .xlsx 后提交。"]


def test_a_huge_upload_is_refused_before_it_is_read(world: tuple[str, Path]) -> None:
    parts = urlsplit(world[0])
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.putrequest("POST", "/check")
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(2 * 1024 ** 3))
        connection.endheaders()
        connection.send(b"--x\r\n" + b"0" * 65536)
        response = connection.getresponse()
        assert response.status == 413
    finally:
        connection.close()


def test_the_api_lists_documents_and_versions(world: tuple[str, Path]) -> None:
    client = Client(world[0])
    listed = client.json("/api/documents")
    assert [(d["doc_id"], d["version"], d["status"], d["url"]) for d in listed["documents"]] == [
        ("CRM-CS-2024-005", "V1.1", "现行有效", "/doc/CRM-CS-2024-005"),
        ("CSC-2024-001", "V1.0", "待生效", "/doc/CSC-2024-001")]
    one = client.json("/api/documents/CRM-CS-2024-005")
    assert [(v["version"], v["status"], v["effective_date"], v["expiry_date"], v["next_review"])
            for v in one["versions"]] == [("V1.0", "已失效", "2024-08-01", "2025-01-01", None),
                                          ("V1.1", "现行有效", "2025-01-01", None, "2025-07-01")]
    assert [(e["version"], e["content"]) for e in one["revisions"]] == [("V1.0", "初稿编写"),
                                                                       ("V1.1", "增加投诉分级步骤")]


def test_unsupported_methods_and_bad_queries(world: tuple[str, Path]) -> None:
    client = Client(world[0])
    assert client.request("DELETE", "/doc/CRM-CS-2024-005")[0] == 405
    assert client.request("POST", "/")[0] == 405
    assert client.get("/?q=" + "x" * 5000)[0] == 400
    assert client.get("/healthz")[2] == b"ok"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
