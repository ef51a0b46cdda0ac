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
    assert [value for _, value in form.provider.options] == nb.credentials_widgets.provider_names()
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


def test_the_form_runs_the_same_flow_for_twilio(store):
    """A second provider through the form: a refused token saves nothing, beside its field; then it saves."""
    with start_sandbox("twilio") as twilio:
        form = nb.CredentialsForm(company="acme", provider="twilio", base_url=twilio.base_url, store=store)
        status = form.fill({**twilio.credentials, "auth_token": "wrong-token-value"}).save()
        assert not status.success and "auth_token" in form.errors and not store.exists("acme", "twilio")
        assert "Save and test" in form.errors["auth_token"]
        assert "wrong-token-value" not in status.message + form.errors["auth_token"]
        status = form.fill(twilio.credentials).save()
        assert status.success and form.saved, status.message
        assert store.load("acme", "twilio") == twilio.credentials and form.secrets_cleared
        assert twilio.credentials["auth_token"] not in status.message + form.status_html.value


def test_an_unavailable_provider_says_so_next_to_the_dropdown(store, monkeypatch):
    from perftel.errors import ConfigError
    from perftel.notebook import credentials_widgets

    real = credentials_widgets.get_provider_class

    def fake(name):
        if name == "aircall":
            raise ConfigError(
                "The aircall provider is not available in this version of perftel.", field="provider"
            )
        return real(name)

    monkeypatch.setattr(credentials_widgets, "get_provider_class", fake)
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
    picker = nb.DateRange(clock=lambda: datetime(2026, 11, 26, 15, tzinfo=timezone.utc))  # a fixed clock
    picker.quick[0].click()  # Today
    assert picker.start.value == picker.end.value == today


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
    assert (
        "cancelled" in form.bars["transcribe"].label.value
        and "done" not in form.bars["transcribe"].label.value
    )


def test_errors_during_a_run_are_plain_words_and_the_form_stays_usable(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path, transcriber=SpeakingTranscriber())
    form.credentials.fill(sandbox.credentials).save()
    store.save("acme", "goto_connect", {**sandbox.credentials, "client_secret": "revoked-secret-xyz"})
    form.run()
    result = form.wait(60)
    assert result is not None and not result.calls
    assert "Could not log in" in form.status.value and "Traceback" not in form.status.value
    assert "revoked-secret-xyz" not in form.status.value + form.summary.value
    # a bad model name is refused before any work, said in plain words, and the form stays usable
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
    assert {trace.name for trace in figure.data} == {"Inbound", "Outbound"}
    # days as dates, one per day (never "00:00:00 Nov 2"), counts as whole numbers
    assert list(figure.data[0].x) == ["Mon 02 Nov", "Tue 03 Nov", "Wed 04 Nov"]
    assert figure.layout.xaxis.type == "category"
    assert figure.layout.yaxis.dtick == 1 and figure.layout.yaxis.tickformat == "d"
    one_day = nb.calls_per_day_figure(nb.filter_calls(tables.calls, start="2026-11-04", end="2026-11-04"))
    assert list(one_day.data[0].x) == ["Wed 04 Nov"] and one_day.layout.yaxis.dtick == 1


def test_answered_missed_duration_and_talk_time(tables):
    answered = nb.answered_per_day(tables.calls).set_index(["day", "status"])
    assert answered.loc[(date(2026, 11, 2), "missed"), "calls"] == 1
    assert answered.loc[(date(2026, 11, 2), "answered"), "share"] == pytest.approx(2 / 3)
    assert answered.loc[(date(2026, 11, 3), "answered"), "share"] == 0
    duration = nb.duration_figure(tables.calls)
    assert sum(sum(t.y) for t in duration.data) == 4 and duration.layout.barmode == "stack"  # never overlaid
    talk = nb.talk_time(tables.segments).set_index("who")
    assert talk.loc["Ana", "talk_seconds"] == 8 and talk.loc["Ana", "calls"] == 2
    assert talk.loc["customer", "talk_seconds"] == 3
    assert talk["share"].sum() == pytest.approx(1)
    summary = nb.period_summary(tables.calls, tables.transcripts).set_index("measure")["value"]
    assert summary["Calls"] == 4 and summary["Missed"] == 1 and summary["Answer rate"] == "75%"
    assert summary["Median answered call"] == "2:00"
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


def test_explorer_filters_opens_a_call_and_plays_it(ds):
    explorer = nb.CallExplorer(ds)
    assert len(explorer.filtered) == 3 and "4 calls" in explorer.count.value
    assert explorer.call.value == "rec-4"  # newest first, as the list
    explorer.words.value = "refund"
    assert list(explorer.filtered["recording_id"]) == ["rec-1"]
    assert explorer.call.value == "rec-1"
    assert "I need a refund" in explorer.detail.value
    assert isinstance(explorer.player.children[0], w.Audio)
    assert len(explorer.timeline.outputs) == 1  # the one-call timeline beside its segments and audio
    # every chart follows the Words filter too
    assert sum(sum(t.y) for t in explorer.figures["calls_per_day"].data) == 1
    assert sum(sum(t.y) for t in explorer.figures["calls_per_hour"].data) == 1
    explorer.words.value = "RÉFUND"  # Dataset.search: any case, any accent, whole words
    assert list(explorer.filtered["recording_id"]) == ["rec-1"] and list(explorer.rows["id"]) == ["call-1"]
    explorer.words.value = "refun"
    assert explorer.filtered.empty
    explorer.words.value = "nothing-like-this"
    assert explorer.filtered.empty and explorer.detail.value == ""
    assert "No calls match these filters" in explorer.table.value
    assert "No transcribed call" in explorer.header.value and explorer.page_label.value == "no calls"
    for figure in explorer.figures.values():  # a sentence, not empty axes
        assert not figure.data and figure.layout.annotations and not figure.layout.xaxis.visible
    assert "No calls match these filters" in explorer.figures["calls_per_day"].layout.annotations[0].text
    explorer.words.value = ""
    explorer.open_call("rec-2")
    assert "not on this machine" in explorer.player.children[0].value
    assert list(explorer.open_call("call-4")["text"]) == ["hello", "password reset please"]
    explorer.start.value, explorer.end.value = date(2026, 11, 4), date(2026, 11, 2)
    assert "end is before the start" in explorer.message.value and explorer.rows.empty


def test_explorer_lists_missed_calls_pages_and_sorts(ds):
    explorer = nb.CallExplorer(ds, page_size=2)
    explorer.answered.value = "missed"
    assert list(explorer.rows["id"]) == ["call-3"] and "missed: no recording" in explorer.table.value
    assert explorer.answered.label == "missed"
    explorer.answered.value = "any"
    assert explorer.answered.label == "any" and len(explorer.rows) == 4
    assert explorer.page_label.value == "1–2 of 4" and explorer.prev_button.disabled
    explorer.next_button.click()
    assert explorer.page_label.value == "3–4 of 4" and explorer.next_button.disabled
    explorer.sort.value = "longest first"
    assert explorer.table.value.index("5:00") < explorer.table.value.index("2:00")  # call-4 (300 s) first
    assert "Started (UTC)" in explorer.table.value


def test_days_hours_and_times_are_local_to_the_company(tables, tmp_path):
    from perftel.company import save_setting

    save_setting("acme", "timezone", "America/Sao_Paulo", tmp_path)
    local = nb.load_tables("acme", tmp_path)
    assert local.timezone == "America/Sao_Paulo"
    # call-1 starts 2026-11-02 09:00 UTC = 06:00 in São Paulo
    row = local.calls.set_index("id").loc["call-1"]
    assert row["hour"] == 6 and row["day"] == date(2026, 11, 2)
    figure = nb.calls_per_hour_figure(local.calls, local.timezone)
    assert figure.layout.xaxis.title.text == "hour of day (America/Sao_Paulo)"
    view = nb.calls_view(local.calls, local.timezone)
    assert list(view.columns) == [
        "Started (America/Sao_Paulo)",
        "Direction",
        "Answered",
        "Duration",
        "Agent",
        "Customer",
    ]
    assert view.iloc[0].tolist()[:5] == ["2026-11-02 06:00", "Inbound", "yes", "2:00", "Ana"]
    assert isinstance(view.index, pd.RangeIndex)
    explorer = nb.CallExplorer.for_company("acme", tmp_path)
    assert explorer.tz == "America/Sao_Paulo"
    assert (
        "Started (America/Sao_Paulo)" in explorer.table.value and "2026-11-02 06:00" in explorer.table.value
    )


def test_display_values_read_as_an_analyst_writes_them(tables):
    assert [nb.clock(s) for s in (0, 55.6, 816, 3725, None)] == ["0:00", "0:56", "13:36", "1:02:05", "–"]
    assert [nb.percent(s) for s in (0.447786, 1, None)] == ["45%", "100%", "–"]
    assert [nb.yes_no(v) for v in (True, False, None)] == ["yes", "no", "–"]
    view = nb.transcripts_view(tables.transcripts, "UTC", excerpt=10)
    assert view["Transcript"].iloc[0] == "hello I n…" and view["Answered"].tolist() == ["yes"] * 3
    talk = nb.talk_view(nb.talk_time(tables.segments))
    assert list(talk.columns) == ["Agent / channel", "Talk time", "Calls", "Share of speech"]
    assert talk.set_index("Agent / channel").loc["Ana", "Talk time"] == "0:08"
    assert talk["Share of speech"].str.endswith("%").all()


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


# -- errors go once fixed; sandbox credentials only for a sandbox company; never overwrite silently -----
def test_errors_are_cleared_the_moment_the_input_is_valid(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path)
    creds = form.credentials
    creds.fill({**sandbox.credentials, "client_id": ""}, company="../etc", base_url="ftp://x").save()
    assert set(creds.errors) == {"company_id", "base_url", "client_id"}
    assert "Nothing was saved" in creds.status_html.value
    creds.company.value = "acme"
    assert "company_id" not in creds.errors and creds._labels["company_id"].value == ""
    creds.base_url.value = sandbox.base_url
    assert "base_url" not in creds.errors
    creds.fields["client_id"].value = sandbox.credentials["client_id"]
    assert creds.errors == {} and creds.status_html.value == ""
    # the run's "no saved credentials" goes once they are saved, "Fix the dates" once the dates are fixed
    assert form.run() is None and "Save and test" in form.status.value
    assert creds.fill(sandbox.credentials).save().success
    assert form.status.value == "" and form.error == ""
    form.dates.set("2026-11-10", "2026-11-05")
    assert form.run() is None and "Fix the dates" in form.status.value
    form.dates.end.value = date(2026, 11, 12)
    assert form.status.value == "" and form.error == ""


def test_a_wrong_secret_gets_advice_for_the_form_not_a_command(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path)
    form.credentials.fill({**sandbox.credentials, "client_secret": "wrong-secret-value"}).save()
    message = form.credentials.errors["client_secret"]
    assert "perftel credentials" not in message and "Save and test" in message


def test_an_unreachable_base_url_is_said_at_once_without_retrying(store, sandbox):
    form = nb.CredentialsForm(company="acme", base_url=f"http://127.0.0.1:{closed_port()}", store=store)
    form.fill(sandbox.credentials).save()
    assert "Nothing answers at 127.0.0.1" in form.errors["base_url"]
    assert not store.exists("acme", "goto_connect")


def test_saved_credentials_are_replaced_only_when_asked(store, sandbox, tmp_path):
    form = make_form(store, sandbox, tmp_path)
    assert form.credentials.fill(sandbox.credentials).save().success
    before = store.load("acme", "goto_connect")
    status = form.credentials.fill({**sandbox.credentials, "client_id": "another-client"}).save()
    assert (
        not status.success and "already has saved" in status.message and "replace" in form.credentials.errors
    )
    assert store.load("acme", "goto_connect") == before
    assert form.credentials.replace.layout.display == "flex"
    status = form.credentials.fill(sandbox.credentials, replace=True).save()
    assert status.success, status.message


def test_the_sandbox_button_fills_a_sandbox_company_only(store, sandbox, tmp_path):
    form = nb.SyncForm(
        company="acme", base_url=sandbox.base_url, store=store, sandbox=sandbox, data_dir=tmp_path / "data"
    )
    creds = form.credentials
    assert creds.sandbox_button.layout.display == "flex"
    creds.sandbox_button.click()
    assert "company_id" in creds.errors and "sandbox company" in creds.errors["company_id"]
    assert not store.exists("acme", "goto_connect")
    creds.company.value = "sandbox"
    creds.sandbox_button.click()
    assert (
        creds.saved and store.exists("sandbox", "goto_connect") and not store.exists("acme", "goto_connect")
    )
    assert creds.secrets_cleared
    state = widget_state_text(form)
    for name in ("client_secret", "refresh_token"):
        assert (
            sandbox.credentials[name] not in state and sandbox.credentials[name] not in creds.status.message
        )
    creds.sandbox_button.click()  # again: replaces the sandbox's own credentials, no question asked
    assert creds.saved
    creds.base_url.value = "https://api.example.com"
    assert creds.sandbox_button.layout.display == "none"


def test_sandbox_data_never_goes_into_a_real_company(tmp_path):
    from perftel.errors import ConfigError

    assert nb.is_sandbox_company("sandbox") and nb.is_sandbox_company("demo-2")
    assert not nb.is_sandbox_company("acme") and not nb.is_sandbox_company("sandboxed")
    with pytest.raises(ConfigError, match="not a sandbox company"):
        nb.ensure_sandbox_data("acme", DAY, DAY, data_dir=tmp_path)
    assert not (tmp_path / "acme").exists()


# -- the same tables and charts from the dataset (aggregated in SQL) ----------------------------------
@pytest.fixture
def ds(tables, tmp_path):
    from perftel import open_dataset

    with open_dataset("acme", tmp_path) as dataset:
        yield dataset


def test_sql_aggregates_match_the_pandas_ones(tables, ds):
    """Each chart's table, summed by the store, equals the one pandas counts from every JSON file."""
    calls = tables.calls
    pd.testing.assert_frame_equal(nb.store_calls_per_day(ds), nb.calls_per_day(calls), check_dtype=False)
    pd.testing.assert_frame_equal(nb.store_calls_per_hour(ds), nb.calls_per_hour(calls), check_dtype=False)
    pd.testing.assert_frame_equal(
        nb.store_answered_per_day(ds), nb.answered_per_day(calls), check_dtype=False
    )
    pd.testing.assert_frame_equal(nb.store_duration_bins(ds), nb.duration_bins(calls), check_dtype=False)
    talk = nb.store_talk_time(ds).set_index("who")
    expected = nb.talk_time(tables.segments).set_index("who")
    pd.testing.assert_frame_equal(talk.sort_index(), expected.sort_index(), check_dtype=False)
    pd.testing.assert_frame_equal(
        nb.store_summary(ds, "2026-11-02", "2026-11-03"),
        nb.period_summary(
            nb.filter_calls(calls, start="2026-11-02", end="2026-11-03"),
            nb.filter_transcripts(tables.transcripts, start="2026-11-02", end="2026-11-03"),
        ),
    )
    inbound = nb.store_calls(ds, direction="INBOUND", answered=True)
    assert list(inbound["id"]) == ["call-1", "call-4"] and set(inbound["agents"]) == {"Ana"}
    assert list(nb.store_calls(ds, "2026-11-04", "2026-11-04")["id"]) == ["call-4"]
    figures = nb.store_figures(ds, "2026-11-02", "2026-11-04")
    assert set(figures) == {"calls_per_day", "calls_per_hour", "answered", "duration", "talk_time"}
    assert sum(sum(t.y) for t in figures["calls_per_day"].data) == 4
    empty = nb.store_figures(ds, "2026-10-01", "2026-10-02", empty="nothing here")
    assert "nothing here" in empty["calls_per_day"].layout.annotations[0].text


def test_sql_word_matches_are_case_and_accent_insensitive(tables, ds):
    assert list(nb.store_word_matches(ds, "REFUND")["recording_id"]) == ["rec-1"]
    # every word of the query, anywhere in the recording (here in two different segments)
    assert list(nb.store_word_matches(ds, "hello please")["recording_id"]) == ["rec-4"]
    assert nb.store_word_matches(ds, "hello nothing-like-this").empty
    assert set(nb.store_word_matches(ds, "héllo", start="2026-11-02", end="2026-11-02")["recording_id"]) == {
        "rec-1",
        "rec-2",
    }
    segments = nb.store_segments(ds, "rec-1")
    pd.testing.assert_frame_equal(segments, nb.call_segments(tables.segments, "rec-1"), check_dtype=False)


def test_a_recording_without_speech_is_listed_and_opens_empty(tmp_path):
    """A transcription with no segments (silence) is indexed, listed and opened without speech."""
    from perftel import open_dataset

    storage = CompanyStorage("acme", tmp_path).ensure()
    call = _call(7, 2, 9, "INBOUND", True, 30, "Ana")
    storage.save_call(call)
    storage.save_transcription(
        TranscriptionResult("rec-7", "", [], "pt", 3.0, "tiny"), prefix="goto_connect", call=call
    )
    with open_dataset("acme", tmp_path) as ds:
        assert list(nb.store_transcripts(ds)["recording_id"]) == ["rec-7"]
        assert nb.store_segments(ds, "rec-7").empty and nb.store_talk_time(ds).empty
        explorer = nb.CallExplorer(ds)
        assert explorer.call.value == "rec-7" and "No speech" in explorer.detail.value
