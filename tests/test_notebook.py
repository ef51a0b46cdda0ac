"""perftel.notebook headless: the forms' checks and errors, secrets kept out of widget state, live
progress, cancel, and the charts' and tables' numbers. The pipeline runs against the GoTo sandbox over
real HTTP with a stand-in transcriber (no model), so these tests are quick."""

from __future__ import annotations

import json
import socket
import threading
import wave
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import ipywidgets as w
import pandas as pd
import pytest

from perftel import notebook as nb
from perftel.credentials import CredentialStore
from perftel.models import (
    CallMetadata,
    Direction,
    Participant,
    Recording,
    TranscriptionResult,
    TranscriptionSegment,
)
from perftel.storage import CompanyStorage
from perftel_sandbox import start_sandbox

DAY = "2026-11-17"


class SpeakingTranscriber:
    """Stand-in with the Transcriber interface: an agent and a customer segment per file.
    ``gate`` (an Event) makes each file wait, so a test can cancel in the middle of a run."""

    model_name = "stand-in"

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        self.started = threading.Event()
        self.files: list[str] = []

    def initialize(self) -> None:
        pass

    def transcribe(
        self, path, *, recording_id=None, channel_roles=None, language=None
    ) -> TranscriptionResult:
        self.started.set()
        if self.gate is not None:
            self.gate.wait(10)
        self.files.append(str(path))
        with wave.open(str(path)) as audio:
            seconds = audio.getnframes() / audio.getframerate()
        segments = [
            TranscriptionSegment(0.0, 2.0, "hello how can I help", 0, "agent"),
            TranscriptionSegment(2.5, 3.5, "my refund please", 1, "customer"),
        ]
        return TranscriptionResult(
            recording_id or Path(path).stem,
            "hello how can I help my refund please",
            segments,
            "en",
            seconds,
            self.model_name,
            audio_path=str(path),
            channels=2,
        )


@pytest.fixture
def sandbox():
    with start_sandbox("goto_connect", calls_per_day=3) as sb:
        yield sb


@pytest.fixture
def store(tmp_path: Path) -> CredentialStore:
    return CredentialStore(tmp_path / "config", secret_key="test-passphrase")


def make_form(store: CredentialStore, sandbox, tmp_path: Path, **options) -> nb.SyncForm:
    return nb.SyncForm(
        company="acme",
        base_url=sandbox.base_url,
        start=DAY,
        end=DAY,
        store=store,
        data_dir=tmp_path / "data",
        **options,
    )


def widget_state_text(form: nb.SyncForm) -> str:
    """What saving the notebook's widget state would write: every widget's synced state."""
    from ipywidgets.widgets.widget import _instances

    return json.dumps({mid: widget.get_state() for mid, widget in _instances.items()}, default=str)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the credentials form ---------------------------------------------------------------------------
def test_form_is_built_from_the_registry_and_the_providers_fields(store):
    form = nb.CredentialsForm(company="acme", store=store)
    assert [value for _, value in form.provider.options] == nb.credentials_form.provider_names()
    assert list(form.fields) == ["client_id", "client_secret", "refresh_token", "redirect_uri", "account_key"]
    assert isinstance(form.fields["client_secret"], w.Password)
    assert isinstance(form.fields["refresh_token"], w.Password)
    assert isinstance(form.fields["client_id"], w.Text) and not isinstance(
        form.fields["client_id"], w.Password
    )
    assert repr(nb.Secret("s3cret")) == str(nb.Secret("s3cret")) == "Secret('••••••')"


def test_save_tests_then_stores_and_clears_the_secrets(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path)
    status = form.credentials.fill(sandbox.credentials).save()
    assert status.success, status.message
    assert "Connected to GoTo Connect" in form.credentials.status_html.value
    assert store.load("acme", "goto_connect")["client_secret"] == sandbox.credentials["client_secret"]
    assert store.list("acme")[0].has_tokens
    assert form.credentials.secrets_cleared
    state = widget_state_text(form)
    for name in ("client_secret", "refresh_token"):
        assert sandbox.credentials[name] not in state
        assert sandbox.credentials[name] not in status.message


def test_wrong_secret_is_reported_next_to_the_field_and_nothing_is_saved(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path)
    status = form.credentials.fill({**sandbox.credentials, "client_secret": "wrong-secret-value"}).save()
    assert not status.success
    assert "client_secret" in form.credentials.errors
    assert "refused the credentials" in form.credentials.errors["client_secret"]
    assert "⚠" in form.credentials._labels["client_secret"].value
    assert not store.exists("acme", "goto_connect")
    assert form.credentials.secrets_cleared and "wrong-secret-value" not in widget_state_text(form)


def test_empty_required_field_is_reported_without_calling_the_provider(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path)
    before = len(sandbox.requests)
    status = form.credentials.fill({**sandbox.credentials, "client_id": ""}).save()
    assert not status.success
    assert form.credentials.errors == {"client_id": "Required."}
    assert len(sandbox.requests) == before
    assert not store.exists("acme", "goto_connect")


def test_bad_company_id_and_base_url_are_reported_next_to_them(store, sandbox):
    form = nb.CredentialsForm(company="", base_url="ftp://x", store=store)
    form.fill(sandbox.credentials).save()
    assert form.errors["company_id"] == "Required."
    assert "http://" in form.errors["base_url"]
    form.fill(company="../etc")
    form.fill(sandbox.credentials).save()
    assert "Invalid company id" in form.errors["company_id"]
    assert not (store.root / "credentials").exists()


def test_unreachable_base_url_is_reported_next_to_it(store, sandbox, fast_retries):
    form = nb.CredentialsForm(company="acme", base_url=f"http://127.0.0.1:{closed_port()}", store=store)
    status = form.fill(sandbox.credentials).save()
    assert not status.success
    assert "base_url" in form.errors and form.errors["base_url"]
    assert not store.exists("acme", "goto_connect")
    assert sandbox.credentials["client_secret"] not in form.errors["base_url"]


def test_one_time_consent_shows_the_link_then_stores_after_the_pasted_url(store, sandbox):
    client = {k: v for k, v in sandbox.credentials.items() if k != "refresh_token"}
    form = nb.CredentialsForm(company="acme", base_url=sandbox.base_url, store=store)
    status = form.fill(client, redirect_uri=sandbox.redirect_uri).save()
    assert status.success is False and not form.errors
    assert form.consent_box.layout.display == "flex"
    assert "/oauth/authorize?" in form.consent_link.value
    assert not store.exists("acme", "goto_connect")
    # no code in the pasted text: said next to the field, still nothing saved
    form.complete_authorization("http://127.0.0.1/callback?state=x")
    assert "code" in form.errors["code"]
    assert not store.exists("acme", "goto_connect")
    # the user approves (the sandbox approves at once) and pastes the address they were sent to
    form.fill(client, redirect_uri=sandbox.redirect_uri).save()
    href = form.consent_link.value.split("href='")[1].split("'")[0].replace("&amp;", "&")
    redirected = httpx.get(href, follow_redirects=False, timeout=10).headers["location"]
    status = form.complete_authorization(redirected)
    assert status.success, status.message
    assert store.list("acme")[0].has_tokens
    assert form.redirect_url.value == "" and form.consent_box.layout.display == "none"


def test_an_unavailable_provider_says_so_next_to_the_dropdown(store, monkeypatch):
    from perftel.errors import ConfigError
    from perftel.notebook import credentials_form

    real = credentials_form.get_provider_class

    def fake(name):
        if name == "aircall":
            raise ConfigError(
                "The aircall provider is not available in this version of perftel.", field="provider"
            )
        return real(name)

    monkeypatch.setattr(credentials_form, "get_provider_class", fake)
    form = nb.CredentialsForm(company="acme", store=store)
    form.provider.value = "aircall"
    assert "not available" in form.errors["provider"]
    assert form.save_button.disabled and not form.fields
    assert not form.save().success


# -- dates and options -------------------------------------------------------------------------------
def test_quick_ranges():
    today = date(2026, 11, 26)
    assert nb.quick_range("Today", today) == (today, today)
    assert nb.quick_range("Last 7 days", today) == (date(2026, 11, 20), today)
    assert nb.quick_range("Last 30 days", today) == (date(2026, 10, 28), today)
    assert nb.quick_range("This month", today) == (date(2026, 11, 1), today)
    picker = nb.DateRange()
    picker.quick[0].click()  # Today
    assert picker.start.value == picker.end.value == date.today()


def test_end_before_start_is_reported_next_to_the_end_and_nothing_runs(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path)
    form.credentials.fill(sandbox.credentials).save()
    requests = len(sandbox.requests)
    form.dates.set("2026-11-10", "2026-11-05")
    assert "before the start" in form.dates.error.value
    assert form.run() is None and form.wait() is None
    assert "Fix the dates" in form.error and "before the start" in form.status.value
    assert len(sandbox.requests) == requests
    form.dates.end.value = None
    assert form.dates.validate() == "Pick an end date."
    form.dates.set("2026-11-05", "2026-11-05")
    assert form.dates.error.value == ""


def test_run_without_saved_credentials_says_what_to_do(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path)
    assert form.run() is None
    assert "Save and test" in form.error


# -- running ---------------------------------------------------------------------------------------
def test_run_shows_live_progress_per_stage_and_a_summary(store, sandbox, tmp_path):
    seen: list[tuple[str, int, int | None]] = []
    form = make_form(store, sandbox, tmp_path, transcriber=SpeakingTranscriber())
    form.credentials.fill(sandbox.credentials).save()
    job = form.run()
    assert job is not None and form.run_button.disabled and not form.cancel_button.disabled
    job_progress = job.on_progress
    job.on_progress = lambda *a: (seen.append(a), job_progress(*a))  # noqa: B023 - only for this test
    result = form.wait(60)
    assert result is not None and result.calls and not result.cancelled
    for step in ("fetch", "download", "transcribe"):
        bar = form.bars[step]
        assert bar.current == bar.total and bar.bar.value == bar.bar.max and bar.bar.bar_style == "success"
        assert " · " in bar.label.value and "done" in bar.label.value
    assert form.bars["fetch"].total == len(result.calls)
    assert "Done" in form.status.value and "calls listed" in form.summary.value
    assert not form.run_button.disabled and form.cancel_button.disabled
    assert sandbox.credentials["client_secret"] not in widget_state_text(form)


def test_cancel_stops_cleanly_between_items(store, sandbox, tmp_path):
    gate = threading.Event()
    transcriber = SpeakingTranscriber(gate)
    form = nb.SyncForm(
        company="acme",
        base_url=sandbox.base_url,
        start="2026-11-16",
        end="2026-11-18",
        store=store,
        data_dir=tmp_path / "data",
        transcriber=transcriber,
    )
    form.credentials.fill(sandbox.credentials).save()
    form.run()
    assert transcriber.started.wait(30)
    form.cancel_button.click()
    gate.set()
    result = form.wait(30)
    assert result is not None and result.cancelled
    assert len(transcriber.files) == 1 < form.bars["transcribe"].total
    assert "Cancelled" in form.status.value
    assert form.bars["transcribe"].bar.bar_style == "warning"


def test_errors_during_a_run_are_plain_words_and_the_form_stays_usable(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path, transcriber=SpeakingTranscriber())
    form.credentials.fill(sandbox.credentials).save()
    store.save("acme", "goto_connect", {**sandbox.credentials, "client_secret": "revoked-secret-xyz"})
    form.run()
    result = form.wait(60)
    assert result is not None and not result.calls
    assert "Could not log in" in form.status.value and "Traceback" not in form.status.value
    assert "revoked-secret-xyz" not in form.status.value + form.summary.value
    # a failing pipeline (bad model name) is a message too, and the next run works
    store.save("acme", "goto_connect", sandbox.credentials)
    form.transcriber = None
    form.options.model.options = ("no-such-model",)
    form.run()
    result = form.wait(60)
    assert "no-such-model" in form.summary.value or "no-such-model" in form.status.value
    assert not form.run_button.disabled


# -- charts and tables -----------------------------------------------------------------------------
def _call(
    n: int, day: int, hour: int, direction: str, answered: bool, seconds: float, agent: str
) -> CallMetadata:
    start = datetime(2026, 11, day, hour, 0, tzinfo=timezone.utc)
    return CallMetadata(
        id=f"call-{n}",
        provider="goto_connect",
        external_id=str(n),
        direction=Direction(direction),
        started_at=start,
        ended_at=start + timedelta(seconds=seconds),
        duration_seconds=seconds,
        answered=answered,
        participants=[Participant(name=agent, role="agent")],
        recordings=[Recording(id=f"rec-{n}", channel_roles={0: "agent", 1: "customer"})] if answered else [],
    )


@pytest.fixture
def tables(tmp_path: Path) -> nb.CallTables:
    storage = CompanyStorage("acme", tmp_path).ensure()
    calls = [
        _call(1, 2, 9, "INBOUND", True, 120, "Ana"),
        _call(2, 2, 9, "OUTBOUND", True, 60, "Bruno"),
        _call(3, 2, 14, "INBOUND", False, 15, "Ana"),
        _call(4, 4, 10, "INBOUND", True, 300, "Ana"),
    ]
    audio = tmp_path / "rec-1.wav"
    with wave.open(str(audio), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000), out.writeframes(b"\0\0" * 800)
    texts = {1: "I need a refund", 2: "calling about your delivery", 4: "password reset please"}
    for call in calls:
        storage.save_call(call)
        if call.answered:
            n = int(call.external_id)
            segments = [
                TranscriptionSegment(0, 4, "hello", 0, "agent"),
                TranscriptionSegment(5, 6, texts[n], 1, "customer"),
            ]
            result = TranscriptionResult(
                f"rec-{n}",
                f"hello {texts[n]}",
                segments,
                "en",
                6.0,
                "tiny.en",
                audio_path=str(audio) if n == 1 else None,
                channels=2,
            )
            storage.save_transcription(result, prefix="goto_connect", call=call)
    return nb.load_tables("acme", tmp_path)


def test_tables_join_transcripts_to_their_calls(tables):
    assert len(tables.calls) == 4 and len(tables.transcripts) == 3 and len(tables.segments) == 6
    row = tables.transcripts.set_index("recording_id").loc["rec-2"]
    assert row["call_id"] == "call-2" and row["direction"] == "OUTBOUND" and row["agents"] == "Bruno"
    assert set(tables.segments["who"]) == {"Ana", "Bruno", "customer"}


def test_calls_per_day_and_hour_by_direction(tables):
    per_day = nb.calls_per_day(tables.calls)
    assert len(per_day) == 3 * 2  # the 2nd to the 4th, both directions, zeros included
    assert per_day.set_index(["day", "direction"])["calls"].to_dict()[(date(2026, 11, 2), "INBOUND")] == 2
    assert per_day["calls"].sum() == 4
    per_hour = nb.calls_per_hour(tables.calls)
    assert len(per_hour) == 48 and per_hour.query("hour == 9")["calls"].sum() == 2
    figure = nb.calls_per_day_figure(tables.calls)
    assert sum(sum(trace.y) for trace in figure.data) == 4
    assert {trace.name for trace in figure.data} == {"INBOUND", "OUTBOUND"}


def test_answered_missed_duration_and_talk_time(tables):
    answered = nb.answered_per_day(tables.calls).set_index(["day", "status"])
    assert answered.loc[(date(2026, 11, 2), "missed"), "calls"] == 1
    assert answered.loc[(date(2026, 11, 2), "answered"), "share"] == pytest.approx(2 / 3)
    assert answered.loc[(date(2026, 11, 3), "answered"), "share"] == 0
    assert sum(len(t.x) for t in nb.duration_figure(tables.calls).data) == 4
    talk = nb.talk_time(tables.segments).set_index("who")
    assert talk.loc["Ana", "talk_seconds"] == 8 and talk.loc["Ana", "calls"] == 2
    assert talk.loc["customer", "talk_seconds"] == 3
    assert talk["share"].sum() == pytest.approx(1)
    summary = nb.period_summary(tables.calls, tables.transcripts).set_index("measure")["value"]
    assert summary["calls"] == 4 and summary["missed"] == 1 and summary["answer rate"] == "75%"
    assert set(nb.call_figures(tables.calls, tables.segments)) == {
        "calls_per_day",
        "calls_per_hour",
        "answered",
        "duration",
        "talk_time",
    }


def test_filters_and_one_calls_segments(tables):
    t = tables.transcripts
    assert list(nb.filter_transcripts(t, words="REFUND")["recording_id"]) == ["rec-1"]
    assert list(nb.filter_transcripts(t, words="hello please")["recording_id"]) == ["rec-4"]
    assert len(nb.filter_transcripts(t, start="2026-11-03")) == 1
    assert len(nb.filter_transcripts(t, end="2026-11-02", direction="INBOUND")) == 1
    assert len(nb.filter_calls(tables.calls, answered=False)) == 1
    segments = nb.call_segments(tables.segments, "rec-1")
    assert list(segments["who"]) == ["Ana", "customer"] and list(segments["time"]) == ["0:00", "0:05"]


def test_explorer_filters_opens_a_call_and_plays_it(tables):
    explorer = nb.CallExplorer(tables)
    assert len(explorer.filtered) == 3 and "3 transcript(s)" in explorer.table.value
    explorer.words.value = "refund"
    assert list(explorer.filtered["recording_id"]) == ["rec-1"]
    assert explorer.call.value == "rec-1"
    assert "I need a refund" in explorer.detail.value
    assert isinstance(explorer.player.children[0], w.Audio)
    explorer.words.value = "nothing-like-this"
    assert explorer.filtered.empty and explorer.detail.value == "" and "No transcript" in explorer.table.value
    explorer.words.value = ""
    explorer.open_call("rec-2")
    assert "not on this machine" in explorer.player.children[0].value


def test_model_comparison_figure():
    summary = pd.DataFrame(
        {
            "model": ["tiny.en", "base"],
            "files": [2, 2],
            "wer": [0.2, 0.1],
            "cer": [0.1, 0.05],
            "rtf": [0.07, 0.2],
            "load_seconds": [1, 2],
            "peak_memory_mb": [300, 500],
        }
    )
    figure = nb.model_comparison_figure(summary)
    assert [trace.name for trace in figure.data] == ["WER", "CER", "RTF"]
    assert list(figure.data[2].y) == [0.07, 0.2]


def test_report_refuses_bad_input_before_running_anything(tmp_path):
    from perftel.errors import ConfigError
    from perftel.report import build_report

    with pytest.raises(ConfigError, match="before the start"):
        build_report(start="2026-11-05", end="2026-11-01", company="acme", output=tmp_path / "r.html")
    with pytest.raises(ConfigError, match="not a date"):
        build_report(start="05/11/2026", end="2026-11-01", company="acme")
    with pytest.raises(ConfigError, match="not there"):
        build_report(start="2026-11-01", end="2026-11-01", company="acme", notebook=tmp_path / "none.ipynb")
    assert not list(tmp_path.iterdir())


class LeakyTranscriber(SpeakingTranscriber):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def transcribe(self, path, **_):
        raise RuntimeError(f"model crashed near {self.secret}")


def test_an_unexpected_crash_is_one_plain_line_with_secrets_redacted(store, sandbox, tmp_path):
    form = make_form(
        store, sandbox, tmp_path, transcriber=LeakyTranscriber(sandbox.credentials["client_secret"])
    )
    form.credentials.fill(sandbox.credentials).save()
    form.run()
    assert form.wait(60) is None
    assert "Unexpected error (RuntimeError): model crashed near REDACTED" in form.status.value
    assert sandbox.credentials["client_secret"] not in form.status.value + form.error
    assert "Traceback" not in form.status.value and not form.run_button.disabled
    assert all(bar.bar.bar_style in ("success", "danger") for bar in form.bars.values())


def test_widget_callbacks_never_let_an_error_vanish():
    status = w.HTML()
    callback = nb.common.guarded(lambda: 1 / 0, status, lambda: [])
    callback(object())
    assert "Unexpected error (ZeroDivisionError)" in status.value
