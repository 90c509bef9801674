"""The portal in a real browser: Debian's chromium, headless, driven by Selenium and chromium-driver.

Search, open a document, download its PDF (LibreOffice), submit 问题反馈, check a bad workbook
online; screenshots at desktop and phone size are saved under docs/ and checked for their parts.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from factory import make_workbook
from portal_world import build, running_portal

from officeflow.ledger import open_ledger
from officeflow.portal.feedback import list_feedback

pytestmark = pytest.mark.slow

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
# The pictures in docs/ are refreshed by `OFFICEFLOW_SCREENSHOTS=1 pytest tests/test_portal_browser.py`.
DOCS = Path(__file__).resolve().parent.parent / "docs" if os.environ.get("OFFICEFLOW_SCREENSHOTS") else None

if not (CHROMIUM and DRIVER):
    pytest.skip("needs Debian's chromium and chromium-driver (scripts/setup.sh --test)", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
By = pytest.importorskip("selenium.webdriver.common.by").By


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("browser") / "ws"
    build(root)
    with running_portal(root, root.parent / "serve.log") as base:
        yield base, root


def browser(downloads: Path, width: int, height: int, mobile: bool = False) -> object:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={downloads.parent / ('profile-' + downloads.name)}",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    if mobile:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
            "width": width, "height": height, "pixelRatio": 2.0}})
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    # A form post (the online check reads the workbook) may still be loading when the next lookup runs.
    driver.implicitly_wait(15)
    return driver


def wait_for(path: Path, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and not path.with_name(path.name + ".crdownload").exists():
            return path
        time.sleep(0.25)
    raise AssertionError(f"not downloaded: {path}")


def test_search_open_download_feedback_and_check(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = browser(downloads, 1280, 900)
    try:
        driver.get(base + "/")
        box = driver.find_element(By.ID, "q")
        box.send_keys("投诉分级")
        driver.find_element(By.ID, "search").click()
        assert driver.find_element(By.ID, "count").text == "找到 1 条结果（现行有效版本）"
        driver.find_element(By.CSS_SELECTOR, "#results .title").click()
        assert driver.find_element(By.ID, "status").text == "现行有效"
        assert driver.find_element(By.CSS_SELECTOR, "h1").text == "客户投诉处理流程 现行有效"
        image = driver.find_element(By.CSS_SELECTOR, "#flowchart img")
        assert driver.execute_script("return arguments[0].naturalWidth", image) > 100  # the SVG loaded
        driver.save_screenshot(str((DOCS or tmp_path) / "portal-document.png"))

        driver.find_element(By.ID, "download-pdf").click()
        pdf = wait_for(downloads / "CRM-CS-2024-005_V1.1.pdf")
        assert pdf.read_bytes()[:5] == b"%PDF-"

        driver.find_element(By.ID, "fb-name").send_keys("李四")
        driver.find_element(By.ID, "fb-department").send_keys("客服部")
        driver.find_element(By.ID, "fb-text").send_keys("夜间投诉无人转派，建议增加值班岗")
        driver.find_element(By.ID, "fb-submit").click()
        assert driver.find_element(By.ID, "feedback-message").text == "反馈已提交，感谢！流程负责人将在下次回顾时处理。"
        assert driver.find_element(By.CSS_SELECTOR, "#feedback-list li p").text == "夜间投诉无人转派，建议增加值班岗"

        bad = make_workbook(tmp_path, "bad.xlsx", fields={"流程编号": "crm-2024"})
        driver.get(base + "/check")
        driver.find_element(By.ID, "file").send_keys(str(bad))
        driver.find_element(By.ID, "check").click()
        assert driver.find_element(By.ID, "verdict").text == "发现 1 个错误、0 个警告。"
        cells = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#findings tbody td")]
        assert cells == ["基本信息!B5", "错误", "流程编号“crm-2024”不符合编号规则（前缀-类别-年份-序号），如 CRM-CS-2024-005。"]
    finally:
        driver.quit()
    ledger = open_ledger(root / ".officeflow" / "ledger.sqlite3")
    try:
        assert [(f.name, f.text) for f in list_feedback(ledger, "CRM-CS-2024-005")] == [
            ("李四", "夜间投诉无人转派，建议增加值班岗")]
    finally:
        ledger.close()


def test_the_document_page_fits_a_phone(served: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = served
    driver = browser(tmp_path / "downloads", 390, 844, mobile=True)
    try:
        driver.get(base + "/doc/CRM-CS-2024-005")
        width = driver.execute_script("return document.documentElement.clientWidth")
        scroll = driver.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width  # nothing wider than the screen: no sideways scrolling
        buttons = driver.find_elements(By.CSS_SELECTOR, "#downloads .button")
        assert [b.text for b in buttons] == ["下载 Word（现行有效）", "下载 PDF"]
        assert all(b.rect["x"] >= 0 and b.rect["x"] + b.rect["width"] <= width for b in buttons)
        shot = (DOCS or tmp_path) / "portal-phone.png"
        driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        driver.get(base + "/?q=" + "投诉")
        driver.save_screenshot(str((DOCS or tmp_path) / "portal-search-phone.png"))
    finally:
        driver.quit()
