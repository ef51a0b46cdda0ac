"""How listed rows become calls, on crafted listings the sandboxes never produce.

The drivers' listing calls (``_list``, ``paginate``, one parent lookup) are replaced by fixed rows, so
every odd case can be put in any order: legs pages apart, cycles, whitespace, refusals half-way.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from perftel.errors import ApiError
from perftel.providers.goto_connect import driver as goto_connect
from perftel.providers.goto_connect.driver import GoToConnectProvider
from perftel.providers.twilio.driver import TwilioProvider

S, E = datetime(2026, 11, 9, tzinfo=timezone.utc), datetime(2026, 11, 10, tzinfo=timezone.utc)


def leg(sid, parent=None, minute=0, status="completed"):
    moment = (S + timedelta(hours=10, minutes=minute)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return {
        "sid": sid,
        "parent_call_sid": parent,
        "start_time": moment,
        "status": status,
        "direction": "inbound",
        "from": "+15550100",
        "to": "+15550111",
    }


def rec(sid, call_sid, status="completed"):
    return {
        "sid": sid,
        "call_sid": call_sid,
        "status": status,
        "channels": 2,
        "date_created": "Mon, 09 Nov 2026 12:00:00 +0000",
    }


def twilio_calls(legs, recordings, *, refuse_after=None, per_call=None, parents=None):
    """(sid, child sids, recording ids) of each call listed from these rows, in the order yielded."""
    provider = TwilioProvider("acme", credentials={"account_sid": "AC1", "auth_token": "x"})

    def listing(path, key, params):
        if path == "Calls.json":
            yield from legs
        elif path == "Recordings.json":
            for i, row in enumerate(recordings):
                if i == refuse_after:
                    raise ApiError("refused", status_code=400, retryable=False, provider="Twilio")
                yield row
        else:
            yield from (per_call or {}).get(path.split("/Calls/")[1].split("/")[0], [])

    class Api:  # the one lookup the fold makes: a parent leg that was not listed
        def get_json(self, url, params=None):
            sid = url.rsplit("/", 1)[1].removesuffix(".json")
            if sid in (parents or {}):
                return parents[sid]
            raise ApiError("not found", status_code=404, retryable=False, provider="Twilio")

    provider._list = listing
    provider._api = Api()
    return [
        (c.external_id, sorted(c.extra.get("child_call_sids", [])), sorted(r.id for r in c.recordings))
        for c in provider.iter_calls(S, E)
    ]


def test_random_forests_fold_the_same_in_any_order():
    rng = random.Random(5)
    legs, recordings, expected = [], [], []
    for n in range(300):
        root = f"CA{n:04d}"
        legs.append(leg(root, minute=n))
        family, children = [root], []
        for k in range(rng.choice([0, 0, 1, 2, 4])):
            child = f"{root}c{k}"
            legs.append(leg(child, rng.choice(family), minute=n))
            family.append(child)
            children.append(child)
        recs = [f"RE{n:04d}{k}" for k in range(rng.choice([0, 1, 2]))]
        recordings += [rec(r, rng.choice(family)) for r in recs]
        expected.append((root, sorted(children), sorted(recs)))
    for seed in range(3):
        order = random.Random(seed)
        shuffled_legs, shuffled_recs = legs[:], recordings[:]
        order.shuffle(shuffled_legs)
        order.shuffle(shuffled_recs)
        assert (
            twilio_calls(shuffled_legs + shuffled_legs[:50], shuffled_recs) == expected
        )  # repeats count once


def test_whitespace_around_a_sid_loses_no_child_or_recording():
    calls = twilio_calls([leg("CA1 "), leg("CA2", "CA1", 1)], [rec("RE1", "CA1"), rec("RE2", "CA2")])
    assert calls == [("CA1", ["CA2"], ["RE1", "RE2"])]


def test_cycles_and_deep_chains_are_listed_on_their_own_in_time_order():
    chain = [leg("CAd0", minute=20)] + [leg(f"CAd{i}", f"CAd{i - 1}", 20) for i in range(1, 11)]
    calls = twilio_calls(
        [leg("CA9", minute=50), leg("CAx", "CAy", 5), leg("CAy", "CAx", 6), leg("CA1", minute=9), *chain], []
    )
    assert [c[0] for c in calls] == ["CAx", "CAy", "CA1", "CAd0", "CAd10", "CAd9", "CA9"]
    assert calls[3][1] == [f"CAd{i}" for i in range(1, 9)]  # 8 levels folded; deeper ones not lost


def test_a_refused_recordings_list_falls_back_per_call_without_half_a_walk():
    calls = twilio_calls(
        [leg("CA1", status="busy"), leg("CA2", "CA1", 1), leg("CA3", minute=2)],
        [rec("RE1", "CA1"), rec("RE2", "CA2"), rec("RE3", "CA3")],
        refuse_after=2,
        per_call={"CA3": [rec("RE3", "CA3")]},
    )
    assert calls == [("CA1", ["CA2"], []), ("CA3", [], ["RE3"])]  # per call: completed calls only, as always


def test_a_recording_named_by_two_legs_is_kept_for_both():
    calls = twilio_calls([leg("CA1"), leg("CA3", minute=60)], [rec("RE1", "CA1"), rec("RE1", "CA3")])
    assert calls == [("CA1", [], ["RE1"]), ("CA3", [], ["RE1"])]


def test_child_legs_of_an_earlier_call_stay_with_it():
    earlier = {**leg("CA0"), "start_time": "Sun, 08 Nov 2026 23:59:00 +0000"}
    calls = twilio_calls([leg("CA5", "CA0", 1), leg("CA6", minute=2)], [], parents={"CA0": earlier})
    assert [c[0] for c in calls] == ["CA6"]


def test_goto_lists_a_call_across_two_windows_once(monkeypatch):
    """The recent-ids memory is tiny here (pages of one): only the carried boundary ids catch the repeat."""
    provider = GoToConnectProvider(
        "acme", credentials={"client_id": "c", "client_secret": "s", "refresh_token": "r"}
    )
    monkeypatch.setattr(provider, "account_key", lambda: "acc")
    monkeypatch.setattr(provider, "_report", lambda space_id: None)
    monkeypatch.setattr(goto_connect, "MAX_WINDOW_DAYS", 1)
    monkeypatch.setattr(goto_connect, "PAGE_SIZE", 1)  # remembers the last 4 ids
    edge = {
        "conversationSpaceId": "cs-edge",
        "callCreated": "2026-11-09T23:59:00Z",
        "callEnded": "2026-11-10T00:03:00Z",
    }
    early = [{"conversationSpaceId": f"cs-{i}", "callCreated": f"2026-11-09T1{i}:00:00Z"} for i in range(5)]
    late = [
        {"conversationSpaceId": f"cs-late{i}", "callCreated": f"2026-11-10T0{i}:00:00Z"} for i in range(5)
    ]
    pages = {"2026-11-09": early + [edge] + early[3:], "2026-11-10": late + [edge]}
    monkeypatch.setattr(
        goto_connect, "paginate", lambda api, path, params, **kw: iter(pages[params["startTime"][:10]])
    )
    ids = [c.external_id for c in provider.iter_calls(S, E + timedelta(days=1))]
    assert ids == [f"cs-{i}" for i in range(5)] + ["cs-edge"] + [f"cs-late{i}" for i in range(5)]
