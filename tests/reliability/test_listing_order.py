"""Calls are the same whatever order a provider lists its rows in.

Twilio documents no order for ``Calls.json``/``Recordings.json`` and RingCentral's call log may change
its own; legs of one call can be pages apart. The sandboxes list newest first, oldest first or shuffled
(a fixed pseudo-random order across pages), with small pages so that legs really are split up.
"""

from __future__ import annotations

import json

import pytest

from perftel import create_provider
from perftel_sandbox import start_sandbox

CASES = {
    "twilio": {"calls_per_day": 120},
    "ringcentral": {
        "calls_per_day": 120,
        "max_per_page": 97,
        "heavy_limit": 100_000,
        "rate_limits": {"Auth": 1000, "Light": 1000, "Medium": 1000},
    },
}


def listing(name: str, order: str) -> list[dict]:
    with start_sandbox(name, seed=3, list_order=order, **CASES[name]) as sandbox:
        provider = create_provider(name, "acme", base_url=sandbox.base_url, credentials=sandbox.credentials)
        calls = provider.fetch_calls("2026-11-09", "2026-11-16")
        provider.close()
        text = json.dumps([call.to_dict() for call in calls]).replace(f":{sandbox.port}/", ":PORT/")
        return json.loads(text)  # media URLs name the sandbox's port


@pytest.mark.parametrize("name", sorted(CASES))
def test_listing_order_changes_nothing(name):
    newest = listing(name, "newest")
    assert len(newest) > 700
    assert len({c["id"] for c in newest}) == len(newest)  # no call twice
    assert any(c["extra"].get("child_legs") or len(c["extra"].get("record_ids", [])) > 1 for c in newest)
    assert listing(name, "oldest") == newest
    assert listing(name, "shuffled") == newest
