"""Real clicks: Debian's chromium, driven by Playwright, opens notebook 01 in JupyterLab on 127.0.0.1,
fills the form (errors appear, then go once fixed), runs the pipeline against the sandbox and sees it
finish; serves the explorer with ``perftel dashboard`` (no code on the page, formatted values, an empty
state); and opens a report offline with no request leaving the machine. Screenshots go to
``PERFTEL_TEST_ARTIFACTS`` (default ``build/test-artifacts``).

Needs /usr/bin/chromium (``make test`` installs it). Without it these tests are skipped, unless
PERFTEL_REQUIRE_BROWSER=1 (what ``make test`` sets), where they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.notebooks.conftest import ARTIFACTS, NOTEBOOKS, free_port, jupyterlab_server

CHROMIUM = os.environ.get("PERFTEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--mute-audio",
]
COMPANY = "browser-co"

if not Path(CHROMIUM).is_file():
    if os.environ.get("PERFTEL_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab(synced, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """JupyterLab on 127.0.0.1 (empty token: a local test server only) serving a copy of notebook 01,
    its kernel pointed at the sandbox and at temp config/data folders, AUTO_RUN off: the clicks do it.
    Widget state is saved with the notebook (off by default), so the test can look for secrets in it."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOKS / "01_connect_and_sync.ipynb", root)
    config = root / ".jupyter-config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}'
    )
    settings = root / ".lab-settings" / "@jupyter-widgets" / "jupyterlab-manager"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text('{"saveState": true}')
    env = dict(
        os.environ,
        PERFTEL_GOTO_CONNECT_BASE_URL=synced.sandbox.base_url,
        PERFTEL_NB_AUTORUN="0",
        PERFTEL_COMPANY=COMPANY,
        PERFTEL_NB_MODEL="tiny.en",
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(root / ".lab-settings"),
    )
    with jupyterlab_server(root, env) as url:
        yield url, root


def test_notebook_01_form_runs_the_pipeline_with_live_progress(browser, lab, synced):
    url, root = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(60_000)
    page.goto(f"{url}/lab/tree/01_connect_and_sync.ipynb")
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")

    # Scope everything to the form's output area: the same words are in the cells' source.
    form = page.locator(".jp-OutputArea-output").filter(
        has=page.locator(".widget-button", has_text="Save and test")
    )
    form.wait_for()
    form.scroll_into_view_if_needed()

    def field(label: str):
        return form.locator(".widget-text", has=page.locator(f"label:text-is('{label}')")).locator("input")

    assert field("Company id").input_value() == COMPANY
    # bad input first: an empty required field and a bad company id are named next to them, nothing is saved
    field("Company id").fill("bad id!")
    form.locator(".widget-button", has_text="Save and test").click()
    form.locator(".widget-html-content", has_text="Required.").first.wait_for()
    form.locator(".widget-html-content", has_text="Invalid company id").first.wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    form.screenshot(path=str(ARTIFACTS / "notebook01_errors.png"))
    assert not (synced.config_dir / "credentials" / COMPANY).exists()
    # ... and each goes the moment its input is valid
    field("Company id").fill(COMPANY)
    form.locator(".widget-html-content", has_text="Invalid company id").first.wait_for(state="detached")
    credentials = synced.sandbox.credentials
    field("OAuth client ID").fill(credentials["client_id"])
    field("OAuth client ID").press("Tab")
    assert form.locator(".widget-html-content", has_text="Required.").count() == 1  # only the secret's left
    field("OAuth client secret").fill(credentials["client_secret"])
    field("Refresh token (optional)").fill(credentials["refresh_token"])
    field("OAuth client secret").press("Tab")
    form.locator(".widget-button", has_text="Save and test").click()
    form.get_by_text("Connected to GoTo Connect").wait_for()
    assert (
        field("OAuth client secret").input_value() == ""
        and field("Refresh token (optional)").input_value() == ""
    )
    assert (synced.config_dir / "credentials" / COMPANY / "goto_connect.enc").is_file()

    # end before start: said next to the end field; then a valid range (the notebook's week)
    end = date.today()
    to_field = form.locator(".widget-datepicker", has=page.locator("label:text-is('To (included)')")).locator(
        "input"
    )
    to_field.fill((date.today() - timedelta(days=30)).isoformat())  # before the notebook's From
    to_field.press("Tab")
    form.get_by_text("The end is before the start").wait_for()
    to_field.fill(end.isoformat())
    to_field.press("Tab")
    form.get_by_text("The end is before the start").wait_for(state="detached")

    form.locator(".widget-button", has_text="Run").first.click()
    form.locator(".widget-label", has_text="found").or_(
        form.locator(".widget-label", has_text=" / ")
    ).first.wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    form.screenshot(path=str(ARTIFACTS / "notebook01_running.png"))  # progress moving, before the end
    form.get_by_text("calls listed").wait_for(timeout=300_000)
    status = form.locator(".widget-html-content", has_text="Done").first
    status.wait_for()
    labels = [t for t in form.locator(".widget-label").all_inner_texts() if " · " in t]
    assert len(labels) == 3 and all("done" in t for t in labels), labels
    # the table cell ran before Run (Run All, AUTO_RUN off): an empty state that says what to do
    page.locator(".jp-OutputArea-output .perftel-empty", has_text="sync them in notebook 01").first.wait_for()
    summary = form.locator("pre").inner_text()
    assert "transcriptions:" in summary and "failures:" in summary
    for secret in synced.secrets:
        assert secret not in page.content()
    # saved from Lab with the widget state: the secrets are not in the file
    saved = root / "01_connect_and_sync.ipynb"
    page.keyboard.press("Control+s")
    deadline, text = time.monotonic() + 30, ""
    while "application/vnd.jupyter.widget-state+json" not in text and time.monotonic() < deadline:
        time.sleep(0.3)
        try:
            text = json.dumps(json.loads(saved.read_text("utf-8")))  # a complete file, whatever the moment
        except ValueError:
            text = ""
    assert "application/vnd.jupyter.widget-state+json" in text and credentials["client_id"] in text
    for secret in synced.secrets:
        assert secret not in text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    form.scroll_into_view_if_needed()
    form.screenshot(path=str(ARTIFACTS / "notebook01_form.png"))
    page.screenshot(path=str(ARTIFACTS / "notebook01_page.png"))
    page.close()


def test_report_opens_offline_with_its_charts_drawn(browser, report_files):
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on(
        "request",
        lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None,
    )
    started = time.monotonic()
    page.goto(report_files.html.as_uri(), wait_until="load")
    page.locator(".plotly-graph-div .main-svg").first.wait_for(timeout=30_000)
    print(f"report drawn offline in {time.monotonic() - started:.1f} s")  # measured, not asserted
    assert page.locator(".plotly-graph-div").count() >= 4
    assert page.locator(".plotly-graph-div .main-svg").count() >= 4
    assert page.get_by_role("heading", level=1).first.inner_text().startswith("Calls of ")
    page.locator("table.dataTable").first.wait_for()  # sortable tables, drawn without the internet
    assert requests == [], requests
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    context.close()


@pytest.fixture(scope="module")
def dashboard(synced) -> Iterator[str]:
    """``perftel dashboard`` for the synced company, as a user starts it, on a free port of 127.0.0.1."""
    port = free_port()
    log_path = ARTIFACTS / "dashboard.log"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    command = [
        sys.executable,
        "-c",
        "from perftel.cli import main; raise SystemExit(main())",
        "dashboard",
        "--company",
        synced.company,
        "--data-dir",
        str(synced.data_dir),
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # a connection, not a page: each page load starts a kernel
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"perftel dashboard did not start; see {log_path}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_dashboard_serves_the_explorer_without_code(browser, dashboard, synced):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.set_default_timeout(120_000)
    page.goto(dashboard)
    page.get_by_role("heading", name=f"Calls of {synced.company}").wait_for()
    table = page.locator("table.perftel-calls")
    table.wait_for()
    # no code anywhere: Voilà strips the sources
    assert page.locator(".jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor, .cm-editor").count() == 0
    assert "nb.CallExplorer" not in page.content() and "load_tables" not in page.content()
    # formatted values: the zone in the header, m:ss, yes/no; a call opened with its timeline
    header = table.locator("thead").inner_text()
    assert "Started (UTC)" in header
    body = table.locator("tbody").inner_text()
    assert re.search(r"\b\d+:\d\d\b", body) and re.search(r"\b(yes|no)\b", body)
    page.locator(".js-plotly-plot .main-svg").first.wait_for()  # charts and the call's timeline drawn
    assert page.get_by_text("Who spoke when").count() >= 1
    assert page.get_by_text("Calls per day").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    # the explorer lists missed calls
    answered = page.locator(".widget-dropdown", has=page.locator("label:text-is('Answered')")).locator(
        "select"
    )
    answered.select_option("missed")
    page.get_by_text("missed: no recording").first.wait_for()
    answered.select_option("any")
    # an empty state that says what to do, in the list and in the charts
    words = page.locator(".widget-text", has=page.locator("label:text-is('Words')")).locator("input")
    words.fill("zzzz-nothing-like-this")
    words.press("Enter")
    page.locator(".perftel-empty", has_text="No calls match these filters").first.wait_for()
    page.get_by_text("clear a filter or widen the dates").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "dashboard_empty.png"), full_page=True)
    page.close()
