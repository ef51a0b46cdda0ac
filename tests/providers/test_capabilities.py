"""Provider capabilities are protocols: callers ask ``isinstance``, not ``hasattr``."""

from __future__ import annotations

import pytest

from perftel.providers import ConsentFlow, create_provider, get_provider_class, provider_names


def test_only_goto_connect_offers_the_one_time_consent():
    offers = {name for name in provider_names() if issubclass(get_provider_class(name), ConsentFlow)}
    assert offers == {"goto_connect"}


@pytest.mark.parametrize("name", ["goto_connect", "twilio", "aircall", "ringcentral"])
def test_isinstance_matches_the_driver(name):
    provider = create_provider(name, "acme", credentials={"client_id": "x", "client_secret": "y"})
    assert isinstance(provider, ConsentFlow) is (name == "goto_connect")


def test_a_class_with_the_two_methods_is_a_consent_flow_without_inheriting():
    class Other:
        def authorization_url(self, *, state=None):
            return "https://example.test/authorize"

        def complete_authorization(self, redirected):
            return None

    class Half:
        def authorization_url(self, *, state=None):
            return ""

    assert isinstance(Other(), ConsentFlow) and not isinstance(Half(), ConsentFlow)
