"""Telephony providers: a registry, the contract every driver follows, one module per provider."""

from perftel.providers.base import CredentialField, Provider
from perftel.providers.registry import (
    create_provider,
    get_provider_class,
    normalise_name,
    provider_names,
    registry,
)

__all__ = [
    "CredentialField",
    "Provider",
    "create_provider",
    "get_provider_class",
    "normalise_name",
    "provider_names",
    "registry",
]
