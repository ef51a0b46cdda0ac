"""Real clicks on notebook 05: Debian's chromium (Playwright) opens it in JupyterLab on 127.0.0.1 over a
company written by hand (two-channel call with an overlap, a hold and tracker phrases; a tone per turn as
its recording), runs every cell, sees the timeline drawn and no error, and clicks a transcript line: the
recording jumps to that line's start. Screenshots go to the test artifacts. No model, no sandbox.

Skipped without /usr/bin/chromium unless PERFTEL_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import math
import os
import shutil
import struct
import wave
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from perftel.models import (
    CallMetadata,
    Direction,
    Participant,
    Recording,
    TranscriptionResult,
    TranscriptionSegment,
)
from perftel.storage import CompanyStorage
from tests.notebooks.conftest import ARTIFACTS, NOTEBOOKS, jupyterlab_server

CHROMIUM = os.environ.get("PERFTEL_CHROMIUM", "/usr/bin/chromium")
COMPANY = "browser-convo"
DAY = "2026-11-20"
TURNS = [  # channel, start, end, text
    (0, 0.5, 4.0, "Hello, this call is being recorded. How can I help?"),
    (1, 3.0, 8.0, "I want to cancel my plan"),
    (0, 15.0, 19.0, "Sorry for the wait, I can help with that"),
    (1, 19.5, 21.0, "ok thanks"),
]

if not Path(CHROMIUM).is_file():
    if os.environ.get("PERFTEL_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def _tone_wav(path: Path, seconds: float = 22.0, rate: int = 8000) -> None:
    """Two channels, a 440/660 Hz tone on a channel while its side speaks (silence otherwise)."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        t = i / rate
        sample = []
        for channel, freq in ((0, 440.0), (1, 660.0)):
            on = any(c == channel and a <= t < b for c, a, b, _ in TURNS)
            sample.append(int(8000 * math.sin(2 * math.pi * freq * t)) if on else 0)
        frames += struct.pack("<hh", *sample)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2), out.setsampwidth(2), out.setframerate(rate), out.writeframes(bytes(frames))


def _write_company(data_dir: Path) -> None:
    storage = CompanyStorage(COMPANY, data_dir).ensure()
    start = datetime.fromisoformat(f"{DAY}T13:00:00").replace(tzinfo=timezone.utc)
    call = CallMetadata(
        id="call-1",
        provider="goto_connect",
        external_id="1",
        direction=Direction("INBOUND"),
        started_at=start,
        ended_at=start + timedelta(seconds=22),
        duration_seconds=22,
        answered=True,
        participants=[Participant(name="Ana", role="agent")],
        recordings=[Recording(id="rec-1", channel_roles={0: "agent", 1: "customer"})],
    )
    storage.save_call(call)
    audio = data_dir / "rec-1.wav"
    _tone_wav(audio)
    segments = [
        TranscriptionSegment(a, b, text, c, "agent" if c == 0 else "customer") for c, a, b, text in TURNS
    ]
    text = " ".join(t for *_, t in TURNS)
    result = TranscriptionResult(
        "rec-1", text, segments, "en", 22.0, "tiny.en", audio_path=str(audio), channels=2
    )
    storage.save_transcription(result, prefix="goto_connect", call=call)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("lab05")
    data_dir, config_dir = root / "data", root / "config"
    _write_company(data_dir)
    shutil.copy(NOTEBOOKS / "05_conversations.ipynb", root)
    jupyter_config = root / ".jupyter-config"
    (jupyter_config / "labconfig").mkdir(parents=True)
    (jupyter_config / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}'
    )
    env = dict(
        os.environ,
        PERFTEL_COMPANY=COMPANY,
        PERFTEL_DATA_DIR=str(data_dir),
        PERFTEL_CONFIG_DIR=str(config_dir),
        PERFTEL_NB_START=DAY,
        PERFTEL_NB_END=DAY,
        PERFTEL_NB_SANDBOX="0",
        PERFTEL_TIMEZONE="America/Sao_Paulo",
        JUPYTER_CONFIG_DIR=str(jupyter_config),
        JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(root / ".lab-settings"),
    )
    with jupyterlab_server(root, env) as url:
        yield url


def test_notebook_05_timeline_transcript_click_seeks_the_recording(lab):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio"],
        )
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.set_default_timeout(120_000)
            page.goto(f"{lab}/lab/tree/05_conversations.ipynb")
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()
            page.click(".lm-MenuBar-itemLabel:text-is('Run')")
            page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
            # scope to the output area: the same words are in the cells' source
            view = page.locator(".jp-OutputArea-output").filter(has=page.locator("table.perftel-transcript"))
            view.wait_for()
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert errors.count() == 0, errors.all_inner_texts()
            view.scroll_into_view_if_needed()
            view.locator(".js-plotly-plot").wait_for()
            assert view.locator(".js-plotly-plot .ytick", has_text="agent").count() == 1
            assert view.locator(".js-plotly-plot .ytick", has_text="customer").count() == 1
            assert "dead air 0:07" in view.locator(".js-plotly-plot").inner_text()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            view.screenshot(path=str(ARTIFACTS / "notebook05_timeline.png"))
            audio = view.locator("audio")
            audio.evaluate("a => new Promise(r => a.readyState >= 1 ? r() : a.onloadeddata = r)")
            line = view.locator("tr.perftel-seg").nth(2)
            assert line.get_attribute("data-start") == "15.00"
            line.click()
            at = audio.evaluate("a => { a.pause(); return a.currentTime; }")
            assert 15.0 <= at < 16.0, at
        finally:
            browser.close()
