"""The online check's optional submit (`portal_submit = true`): a passing workbook goes into inbox/.

Each test serves its own small workspace (no documents: the check needs none) as a real
process, because the setting is read when `officeflow serve` starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from factory import make_workbook
from portal_world import Client, multipart, running_portal, token_of

pytestmark = pytest.mark.slow

GOOD = {"流程编号": "CRM-CS-2024-099"}
BAD = {"流程编号": "crm-2024", "生效日期": "明天"}


def _portal(root: Path, submit: bool) -> Iterator[tuple[Client, Path]]:
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True)
    (root / "officeflow.toml").write_text(f"portal_submit = {'true' if submit else 'false'}\n", encoding="utf-8")
    with running_portal(root, root.parent / "serve.log") as base:
        yield Client(base), root / "inbox"


@pytest.fixture
def submitting(tmp_path: Path) -> Iterator[tuple[Client, Path]]:
    yield from _portal(tmp_path / "ws", submit=True)


@pytest.fixture
def not_submitting(tmp_path: Path) -> Iterator[tuple[Client, Path]]:
    yield from _portal(tmp_path / "ws", submit=False)


def _check(client: Client, filename: str, data: bytes, submit: bool) -> str:
    token = token_of(client.get("/check")[2])
    body, headers = multipart({"csrf": token, **({"submit": "1"} if submit else {})}, filename, data)
    status, _, page = client.request("POST", "/check", body, headers)
    assert status == 200
    found = re.search(r'<p class="verdict \w+" id="verdict">(.*?)</p>', page.decode("utf-8"))
    assert found is not None
    return found.group(1)


def test_a_passing_workbook_is_submitted_into_the_inbox(submitting: tuple[Client, Path], tmp_path: Path) -> None:
    client, inbox = submitting
    form = client.get("/check")[2].decode("utf-8")
    assert '<input type="checkbox" name="submit" value="1"> 检查通过后提交到收件箱' in form
    good = make_workbook(tmp_path, "g.xlsx", fields=GOOD).read_bytes()
    assert _check(client, "客户投诉处理流程.xlsx", good, submit=True) == \
        "检查通过，没有发现问题。已提交到收件箱：客户投诉处理流程.xlsx"
    assert _check(client, "客户投诉处理流程.xlsx", good, submit=True) == \
        "检查通过，没有发现问题。已提交到收件箱：客户投诉处理流程-2.xlsx"
    assert sorted(p.name for p in inbox.iterdir()) == ["客户投诉处理流程-2.xlsx", "客户投诉处理流程.xlsx"]
    assert (inbox / "客户投诉处理流程.xlsx").read_bytes() == good
    # Checked without asking to submit: nothing stored.
    assert _check(client, "另一个.xlsx", good, submit=False) == "检查通过，没有发现问题。"
    assert len(list(inbox.iterdir())) == 2


def test_a_workbook_with_errors_is_not_submitted(submitting: tuple[Client, Path], tmp_path: Path) -> None:
    client, inbox = submitting
    bad = make_workbook(tmp_path, "b.xlsx", fields=BAD).read_bytes()
    assert _check(client, "坏的.xlsx", bad, submit=True) == "发现 2 个错误、0 个警告。未提交：请改正错误后重新检查。"
    assert list(inbox.iterdir()) == []


def test_submit_is_refused_when_the_setting_is_false(not_submitting: tuple[Client, Path], tmp_path: Path) -> None:
    client, inbox = not_submitting
    form = client.get("/check")[2].decode("utf-8")
    assert 'name="submit"' not in form
    assert "文件只用于本次检查，不会保存。" in form
    good = make_workbook(tmp_path, "g.xlsx", fields=GOOD).read_bytes()
    # A hand-made request asking to submit anyway.
    assert _check(client, "好的.xlsx", good, submit=True) == \
        "检查通过，没有发现问题。未提交：本门户未开启提交到收件箱（portal_submit）。"
    assert list(inbox.iterdir()) == []
