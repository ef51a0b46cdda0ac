"""The provider registry: names → drivers, loaded lazily. The only module naming concrete drivers."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from perftel.errors import ConfigError, UnknownProviderError

if TYPE_CHECKING:
    import httpx

    from perftel.credentials import CredentialStore
    from perftel.providers.base import Provider

_REGISTRY: dict[str, str] = {
    "aircall": "perftel.providers.aircall.driver:AircallProvider",
    "goto_connect": "perftel.providers.goto_connect.driver:GoToConnectProvider",
    "ringcentral": "perftel.providers.ringcentral.driver:RingCentralProvider",
    "twilio": "perftel.providers.twilio.driver:TwilioProvider",
}
_ALIASES = {
    "goto": "goto_connect",
    "gotoconnect": "goto_connect",
    "goto-connect": "goto_connect",
    "ring_central": "ringcentral",
    "ring-central": "ringcentral",
}

#: Read-only view of the registered provider names and their driver paths.
registry: Mapping[str, str] = MappingProxyType(_REGISTRY)


def provider_names() -> list[str]:
    """The registered provider names, sorted: ``["aircall", "goto_connect", "ringcentral", "twilio"]``."""
    return sorted(_REGISTRY)


def normalise_name(name: str) -> str:
    """``GOTO_CONNECT``, ``goto-connect`` and ``goto_connect`` all mean ``goto_connect``.

    Raises UnknownProviderError for a name that is not registered.
    """
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise UnknownProviderError(str(name), provider_names())
    return key


def get_provider_class(name: str) -> type[Provider]:
    """The driver class of ``name`` (any case or alias), imported on first use.

    Raises UnknownProviderError (also a KeyError; it names the known providers) for an unknown name, and
    ConfigError when the driver's module is missing from this installation.
    """
    key = normalise_name(name)
    module_name, _, attr = _REGISTRY[key].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ConfigError(
            f"The {key} provider is not available in this version of perftel.", field="provider"
        ) from exc
    return getattr(module, attr)


def create_provider(
    name: str,
    company_id: str,
    *,
    base_url: str | None = None,
    credentials: Mapping[str, Any] | None = None,
    store: CredentialStore | None = None,
    transport: httpx.BaseTransport | None = None,
    verify: bool = True,
) -> Provider:
    """A provider driver for one company.

    Args:
        name: provider name, any case (``goto_connect``).
        company_id: the tenant; its credentials and data are kept apart from every other.
        base_url: point the driver at a sandbox or proxy (else ``PERFTEL_<PROVIDER>_BASE_URL``).
        credentials: use these instead of the encrypted store (scripts, tests).
        store: the credential store to use (default: the one in ``PERFTEL_CONFIG_DIR``).

    Raises:
        UnknownProviderError: listing the valid names.
    """
    cls = get_provider_class(name)
    return cls(
        company_id,
        base_url=base_url,
        credentials=credentials,
        store=store,
        transport=transport,
        verify=verify,
    )
