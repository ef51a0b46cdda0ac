"""What the credentials form says: provider names for its menu, and provider messages in the form's words.

Provider errors advise a command (``perftel credentials set …``); in the form the advice is what to
press instead. Standard library and perftel only (no widgets), so it is testable on its own.
"""

from __future__ import annotations

import re

from perftel.errors import AuthError, CredentialsError, PerftelError
from perftel.providers import get_provider_class

# command-line advice inside provider messages: the form says what to do in the form instead
_CLI_ADVICE = re.compile(r"\s*\(?`?perftel [a-z-]+ [^)`]*`?\)?(?=[.\s]|$)")


def in_form_words(message: str, error_type: type[PerftelError] | None) -> str:
    """``message`` without its command-line advice, plus what to do in the form after refused
    credentials (``AuthError``/``CredentialsError``): re-enter the secret and press “Save and test”."""
    cleaned = _CLI_ADVICE.sub("", message).replace(" Run the consent again.", "").strip()
    if error_type is not None and issubclass(error_type, (AuthError, CredentialsError)):
        cleaned = cleaned.rstrip(".") + (
            ". Re-enter the secret (and leave the refresh token empty to approve access again), then "
            "press “Save and test”."
        )
    return cleaned


def display_name(name: str) -> str:
    """The provider's name as users know it (``GoTo Connect``), or ``"<name> (not available)"`` when
    its driver cannot be loaded."""
    try:
        return get_provider_class(name).display_name
    except PerftelError:
        return f"{name} (not available)"
