"""Non-finite, absurd and missing numbers and times, for all four mappings through their drivers.

One rule everywhere: a call without a start time is skipped with a warning naming its id (never placed on
a made-up time); a length that is ``inf``/``NaN``/``1e308``/negative counts as unknown, with a warning
naming the call id and never personal data; the other calls of the listing go on.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from perftel.http.ratelimit import RateLimiter
from perftel.providers.aircall.driver import AircallProvider
from perftel.providers.goto_connect import driver as goto_connect
from perftel.providers.goto_connect.driver import GoToConnectProvider
from perftel.providers.ringcentral.driver import RingCentralProvider
from perftel.providers.twilio.driver import TwilioProvider

UTC = timezone.utc
S, E = datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)
T = S + timedelta(hours=10)  # when the good calls start
PHONE = "+5511987654321"  # personal data: never in a warning
TWO_DAYS = 2 * 86400.0  # tolerant.MAX_CALL_SECONDS
BAD_LENGTHS = ["inf", "Infinity", "-inf", "NaN", float("inf"), float("nan"), 1e308, "1e400", -5]


def sane(call) -> None:
    assert S <= call.started_at < E
    assert math.isfinite(call.duration_seconds) and 0 <= call.duration_seconds <= TWO_DAYS
    assert call.ended_at is None or call.started_at <= call.ended_at <= call.started_at + timedelta(days=2)
    json.dumps(call.to_dict(), allow_nan=False, default=str)  # strict JSON: no Infinity/NaN kept anywhere


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def assert_clean(messages: list[str]) -> None:
    assert messages
    assert not any(PHONE in m or "Zoë" in m for m in messages)


# --- Aircall: the listing goes through the real HTTP client (JSON Infinity/NaN as Python writes them) ------
def aircall(calls: list[dict]) -> list:
    def handler(request: httpx.Request) -> httpx.Response:
        meta = {"count": len(calls), "total": len(calls), "next_page_link": None}
        body = json.dumps({"calls": calls, "meta": meta})  # Python's json writes Infinity and NaN as is
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": "application/json"})

    provider = AircallProvider(
        "acme",
        base_url="https://api.aircall.io",
        credentials={"api_id": "id1", "api_token": "token-secret-1"},
        transport=httpx.MockTransport(handler),
    )
    provider._limiter = RateLimiter(1000.0, burst=1000)
    return list(provider.iter_calls(S, E))


def aircall_call(ident, offset, **fields):
    return {
        "id": ident,
        "started_at": int((T + timedelta(minutes=offset)).timestamp()),
        "raw_digits": PHONE,
        "contact": {"first_name": "Zoë"},
        **fields,
    }


@pytest.mark.parametrize("bad", BAD_LENGTHS)
def test_aircall_bad_duration_is_unknown_and_the_listing_goes_on(bad, caplog):
    end = int((T + timedelta(minutes=1, seconds=42)).timestamp())
    calls = [
        aircall_call(1, 0, duration=30),
        aircall_call(2, 1, duration=bad, ended_at=end),  # falls back to ended_at - started_at
        aircall_call(3, 2, duration=bad),
        aircall_call(4, 3, duration="12"),
    ]
    with caplog.at_level(logging.WARNING):
        found = aircall(calls)
    assert [c.external_id for c in found] == ["1", "2", "3", "4"]
    assert [c.duration_seconds for c in found] == [30, 42, 0, 12]
    for call in found:
        sane(call)
    messages = warnings_of(caplog)
    assert_clean(messages)
    assert any("aircall call 2" in m for m in messages) and any("aircall call 3" in m for m in messages)


@pytest.mark.parametrize(
    "bad_time", ["inf", float("inf"), float("nan"), 1e308, "9999-12-31T23:59:59Z", "Infinity", None, ""]
)
def test_aircall_call_without_a_usable_start_is_skipped_not_put_on_the_window_start(bad_time, caplog):
    calls = [
        aircall_call(1, 0),
        {"id": 2, "started_at": bad_time, "ended_at": bad_time, "raw_digits": PHONE, "duration": 5},
        aircall_call(3, 5, ended_at=1e308, answered_at="inf"),  # absurd end: no end
    ]
    with caplog.at_level(logging.WARNING):
        found = aircall(calls)
    assert [c.external_id for c in found] == ["1", "3"]
    assert found[1].ended_at is None and found[1].duration_seconds == 0
    for call in found:
        sane(call)
    messages = warnings_of(caplog)
    assert_clean(messages)
    assert "aircall call 2 has no start time; skipped." in messages


# --- GoTo Connect: report summaries (and reports) ------------------------------------------------------
def goto(summaries: list[dict], monkeypatch, reports: dict | None = None) -> list:
    provider = GoToConnectProvider(
        "acme", credentials={"client_id": "c", "client_secret": "s", "refresh_token": "r"}
    )
    monkeypatch.setattr(provider, "account_key", lambda: "acc")
    monkeypatch.setattr(provider, "_report", lambda space_id: (reports or {}).get(space_id))
    monkeypatch.setattr(goto_connect, "paginate", lambda api, path, params, **kw: iter(summaries))
    return list(provider.iter_calls(S, E))


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("bad", ["inf", float("nan"), 1e308, "9999-12-31T23:59:59Z", None, "", "garbage"])
def test_goto_call_without_a_start_is_skipped_with_a_warning_and_the_listing_goes_on(
    bad, monkeypatch, caplog
):
    summaries = [
        {"conversationSpaceId": "cs-1", "callCreated": iso(T), "callEnded": iso(T + timedelta(seconds=65))},
        {"conversationSpaceId": "cs-2", "callCreated": bad, "callEnded": iso(T)},
        {"conversationSpaceId": "cs-3", "callCreated": iso(T + timedelta(hours=1)), "callEnded": bad},
    ]
    with caplog.at_level(logging.WARNING):
        found = goto(summaries, monkeypatch)  # before: ApiError stopped the whole listing at cs-2
    assert [c.external_id for c in found] == ["cs-1", "cs-3"]
    assert found[0].duration_seconds == 65 and found[1].ended_at is None and found[1].duration_seconds == 0
    for call in found:
        sane(call)
    assert "goto_connect call cs-2 has no start time; skipped." in warnings_of(caplog)


@pytest.mark.parametrize(
    "end", [T - timedelta(minutes=1), T + timedelta(days=40), datetime(2199, 12, 31, tzinfo=UTC)]
)
def test_goto_ends_before_the_start_or_days_later_are_unknown(end, monkeypatch, caplog):
    summaries = [{"conversationSpaceId": "cs-1", "callCreated": iso(T), "callEnded": iso(end)}]
    reports = {
        "cs-1": {"participants": [{"participantId": "p", "type": {"value": "PHONE_NUMBER", "number": PHONE}}]}
    }
    with caplog.at_level(logging.WARNING):
        [call] = goto(summaries, monkeypatch, reports)
    assert call.ended_at is None and call.duration_seconds == 0.0  # never negative, never months
    sane(call)
    assert not any(PHONE in m for m in warnings_of(caplog))


# --- Twilio: legs, as the fold reads them ------------------------------------------------------------------
def twilio(legs: list[dict]) -> list:
    provider = TwilioProvider("acme", credentials={"account_sid": "AC1", "auth_token": "x"})

    def listing(path, key, params):
        yield from legs if path == "Calls.json" else []

    provider._list = listing
    return list(provider.iter_calls(S, E))


def rfc(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def twilio_leg(sid, offset, **fields):
    return {
        "sid": sid,
        "start_time": rfc(T + timedelta(minutes=offset)),
        "status": "completed",
        "direction": "inbound",
        "from": PHONE,
        "to": "+15550111",
        "caller_name": "Zoë",
        **fields,
    }


@pytest.mark.parametrize("bad", BAD_LENGTHS)
def test_twilio_bad_duration_is_unknown_and_the_listing_goes_on(bad, caplog):
    legs = [
        twilio_leg("CA1", 0, duration="30"),
        twilio_leg("CA2", 1, duration=bad, end_time=rfc(T + timedelta(minutes=1, seconds=42))),
        twilio_leg("CA3", 2, duration=bad, price=float("inf"), queue_time=float("nan")),
    ]
    with caplog.at_level(logging.WARNING):
        found = sorted(twilio(legs), key=lambda c: c.external_id)
    assert [c.external_id for c in found] == ["CA1", "CA2", "CA3"]
    assert [c.duration_seconds for c in found] == [30, 42, 0]
    assert "price" not in found[2].extra and "queue_time" not in found[2].extra  # no Infinity/NaN in JSON
    for call in found:
        sane(call)
    messages = warnings_of(caplog)
    assert_clean(messages)
    assert any("twilio call CA2" in m for m in messages) and any("twilio call CA3" in m for m in messages)


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), {"x": 1}])
def test_twilio_child_legs_keep_no_non_finite_numbers(bad):
    legs = [twilio_leg("CA1", 0, duration="30"), twilio_leg("CA2", 0, parent_call_sid="CA1", duration=bad)]
    [call] = twilio(legs)
    assert call.extra["child_legs"][0]["duration"] is None and call.extra["child_legs"][0]["sid"] == "CA2"
    json.dumps(call.to_dict(), allow_nan=False)  # strict JSON


@pytest.mark.parametrize("bad", ["inf", "garbage", None, "", "Fri, 31 Dec 9999 23:59:59 +0000"])
def test_twilio_leg_without_a_start_is_skipped_with_a_warning(bad, caplog):
    legs = [
        twilio_leg("CA1", 0, end_time="Fri, 31 Dec 9999 23:59:59 +0000"),  # absurd end: unknown
        twilio_leg("CA2", 1, start_time=bad, date_created=bad),
        twilio_leg("CA3", 2),
    ]
    with caplog.at_level(logging.WARNING):
        found = sorted(twilio(legs), key=lambda c: c.external_id)
    assert [c.external_id for c in found] == ["CA1", "CA3"]
    assert found[0].ended_at is None
    for call in found:
        sane(call)
    messages = warnings_of(caplog)
    assert_clean(messages)
    assert "twilio call CA2 has no start time; skipped." in messages


# --- RingCentral: call-log records --------------------------------------------------------------------------
def ringcentral(records: list[dict]) -> list:
    provider = RingCentralProvider("acme", credentials={"client_id": "i", "client_secret": "s", "jwt": "j"})
    provider._records = lambda params: iter(records)
    return list(provider.iter_calls(S, E))


def rc_record(ident, session, offset, **fields):
    return {
        "id": ident,
        "telephonySessionId": session,
        "startTime": iso(T + timedelta(minutes=offset)),
        "direction": "Inbound",
        "result": "Accepted",
        "from": {"phoneNumber": PHONE, "name": "Zoë"},
        "to": {"extensionNumber": "101"},
        **fields,
    }


@pytest.mark.parametrize("bad", BAD_LENGTHS)
def test_ringcentral_bad_duration_is_unknown_and_the_listing_goes_on(bad, caplog):
    records = [
        rc_record("1", "s-1", 0, duration=30),
        rc_record("2", "s-2", 1, duration=bad, durationMs=42000),  # falls back to durationMs
        rc_record("3", "s-3", 2, duration=bad, durationMs=bad),
        rc_record("4", "s-4", 3, duration=bad, legs=[{"legType": "Accept", "duration": bad}]),
    ]
    with caplog.at_level(logging.WARNING):
        found = sorted(ringcentral(records), key=lambda c: c.external_id)
    assert [c.external_id for c in found] == ["s-1", "s-2", "s-3", "s-4"]
    assert [c.duration_seconds for c in found] == [30, 42, 0, 0]
    assert found[3].extra["legs"][0]["duration"] == 0.0
    for call in found:
        sane(call)
    messages = warnings_of(caplog)
    assert_clean(messages)
    assert any("ringcentral call s-3" in m for m in messages)


@pytest.mark.parametrize("bad", ["inf", float("inf"), 1e308, "9999-12-31T23:59:59Z", None, "garbage"])
def test_ringcentral_session_without_a_start_is_skipped_with_a_warning(bad, caplog):
    records = [
        rc_record("1", "s-1", 0, duration=10),
        rc_record("2", "s-2", 1, startTime=bad, duration=10),
        rc_record("3", "s-3", 2, duration=10),
    ]
    with caplog.at_level(logging.WARNING):
        found = sorted(ringcentral(records), key=lambda c: c.external_id)
    assert [c.external_id for c in found] == ["s-1", "s-3"]
    for call in found:
        sane(call)
    messages = warnings_of(caplog)
    assert_clean(messages)
    assert "ringcentral call s-2 has no start time; skipped." in messages
