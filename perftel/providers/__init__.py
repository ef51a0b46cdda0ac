"""Telephony providers: a registry, the contract every driver follows, one package per provider.

Each provider is ``perftel/providers/<name>/`` with ``driver.py`` (the :class:`Provider`),
``connection.py`` (client set-up, auth, error hook, pacing) and ``mapping.py`` (pure JSON →
:class:`~perftel.models.CallMetadata`). Only :mod:`perftel.providers.registry` names them.
"""

from perftel.providers.base import CredentialField, Provider
from perftel.providers.capabilities import ConsentFlow
from perftel.providers.registry import (
    create_provider,
    get_provider_class,
    normalise_name,
    provider_names,
    registry,
)

__all__ = [
    "ConsentFlow",
    "CredentialField",
    "Provider",
    "create_provider",
    "get_provider_class",
    "normalise_name",
    "provider_names",
    "registry",
]
