"""woo review in a real browser (Selenium, headless Chromium): the demo request reviewed by keyboard and
mouse, then exported; the package reflects every change. Screenshots of the overview and a document
page are left in the system's temp folder (woo-review-overview.png, woo-review-document.png)."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from tests.conftest import woo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver (installed by .ci/run)")
REQ = "WOO-2025-001"
SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'chrome'}"):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.implicitly_wait(15)  # a loaded CI machine can be slow
    yield driver
    driver.quit()


@pytest.fixture
def server(tmp_path):
    from exports.render import Redactor
    from woo_collector.review_web import create_app, serve

    r = woo(tmp_path / "unused", "demo", str(tmp_path / "demo"))
    assert r.exit_code == 0, r.output
    ws = tmp_path / "demo" / "workspace"
    app = create_app(ws, REQ, published=Redactor)
    urls: list[str] = []
    ready = threading.Event()
    threading.Thread(target=serve, args=(app, 0, lambda u: (urls.append(u), ready.set())), daemon=True).start()
    assert ready.wait(10)
    return ws, urls[0]


def flash(driver) -> str:
    return driver.find_element("css selector", ".flash").text


def wait_flash(driver, text: str) -> str:
    """The flash message once it says ``text`` (a form post navigates: the old page may still be shown)."""
    from selenium.common.exceptions import StaleElementReferenceException, NoSuchElementException
    from selenium.webdriver.support.ui import WebDriverWait

    def said(drv):
        try:
            return text in flash(drv)
        except (StaleElementReferenceException, NoSuchElementException):
            return False

    WebDriverWait(driver, 30).until(said)
    return flash(driver)


def box(driver, text: str):
    return driver.find_element("xpath", f"//a[contains(@class,'box') and @data-text={json.dumps(text, ensure_ascii=False)}]")


def key(driver, k: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(k).perform()


def test_review_the_demo_in_a_browser_and_export_it(server, browser, tmp_path):
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    ws, url = server
    base = url.split("/?")[0]
    d = browser
    d.get(url)
    assert "token" not in d.current_url  # the token leaves the address bar
    assert "0 / 16" in d.find_element("css selector", ".cards").text
    d.save_screenshot(str(SHOTS / "woo-review-overview.png"))

    # accept a proposal that was not boxed (special category data): click it, press a
    d.get(base + "/doc/7")
    box(d, "hartpatiënt").click()
    assert "hartpatiënt" in d.find_element("id", "boxinfo").text
    key(d, "a")
    WebDriverWait(d, 30).until(EC.presence_of_element_located(("css selector", ".flash")))
    assert "box accepted in document 7" in flash(d)
    assert "accepted" in box(d, "hartpatiënt").get_attribute("class")

    # reject one box with r
    d.get(base + "/doc/6")
    box(d, "0612987654").click()
    key(d, "r")
    WebDriverWait(d, 30).until(EC.presence_of_element_located(("css selector", ".flash")))
    assert "box rejected in document 6" in flash(d)

    # reject a person everywhere: says how many places
    d.get(base + "/doc/1")
    box(d, "Fatima El Amrani").click()
    d.find_element("id", "reject-all").click()
    msg = wait_flash(d, "rejected in")
    assert "'Fatima El Amrani' rejected in" in msg
    places = int(msg.split(" rejected in ")[1].split(" ")[0])
    assert places >= 10

    # box a selected name: the "mogelijk naam" word is clicked (selected) and x boxes it request-wide
    d.get(base + "/doc/5")
    word = d.find_element("xpath", "//u[contains(@class,'maybe') and text()='Wilgenlaan']")
    word.click()
    key(d, "x")
    WebDriverWait(d, 30).until(EC.presence_of_element_located(("css selector", ".flash")))
    msg = flash(d)
    assert "'Wilgenlaan' boxed under 5.1.2e in" in msg
    boxed_docs = msg.split(": ", 1)[1].split(", ")
    assert len(boxed_docs) >= 3 and "5" in boxed_docs
    d.get(base + f"/doc/{[n for n in boxed_docs if n != '5'][0]}")
    assert "boxed" in box(d, "Wilgenlaan").get_attribute("class")  # it propagated: boxed in another document

    # a decision, then mark reviewed and go on; j and k walk the unreviewed documents
    d.get(base + "/doc/9")
    from selenium.webdriver.support.ui import Select

    Select(d.find_element("id", "decision")).select_by_visible_text("niet openbaar")
    grounds = Select(d.find_element("id", "grounds"))
    grounds.deselect_all()
    grounds.select_by_visible_text("5.1.2i")
    d.find_element("id", "decide").click()
    assert "document 9: niet openbaar (5.1.2i)" in wait_flash(d, "document 9:")
    d.get(base + "/doc/1")
    d.find_element("id", "mark-reviewed").click()
    WebDriverWait(d, 30).until(lambda drv: drv.current_url.endswith("/doc/1.1"))
    assert "marked reviewed" in wait_flash(d, "marked reviewed")
    key(d, "j")
    WebDriverWait(d, 30).until(lambda drv: drv.current_url.endswith("/doc/2"))
    key(d, "k")
    WebDriverWait(d, 30).until(lambda drv: drv.current_url.endswith("/doc/1.1"))

    # take a document out of scope
    d.get(base + "/doc/2")
    d.find_element("id", "scope-reason").send_keys("gaat over een ander project")
    d.find_element("id", "scope-out").click()
    assert "document 2 is out of scope" in wait_flash(d, "out of scope")

    d.get(base + "/doc/5")
    d.save_screenshot(str(SHOTS / "woo-review-document.png"))
    d.get(base + "/")
    cards = d.find_element("css selector", ".cards").text
    assert "2 / 15" in cards  # 1 marked, 9 decided; 2 left the selection

    # the package reflects every change
    out = tmp_path / "pakket"
    r = woo(ws, "request", "export", REQ, "--out", str(out))
    assert r.exit_code == 0, r.output
    from docx import Document

    text = "\n".join(p.text for f in (out / "documenten").glob("*.docx") for p in Document(f).paragraphs
                     ) + "\n".join(c.text for f in (out / "documenten").glob("*.docx") for t in Document(f).tables
                                   for row in t.rows for c in row.cells)
    assert "hartpatiënt" not in text  # accepted
    assert "Fatima El Amrani" in text  # rejected everywhere
    assert "Wilgenlaan" not in text  # boxed request-wide
    manifest = json.loads((out / "manifest.json").read_text())
    decisions = {doc["nr"]: doc["decision"] for doc in manifest["documents"]}
    assert "2" not in decisions and decisions["9"] == "niet openbaar"
    assert next(doc["grounds"] for doc in manifest["documents"] if doc["nr"] == "9") == ["5.1.2i"]  # the handler's, nothing added
    letter = "\n".join(p.text for p in Document(out / "besluit-concept.docx").paragraphs)
    assert "documenten buiten de reikwijdte geplaatst (na beoordeling): 1" in letter
    actions = {a["action"] for a in json.loads(woo(ws, "audit", REQ, "--format", "json").stdout)}
    assert {"review box", "review person", "review add", "review decision", "review reviewed", "review scope"} <= actions
