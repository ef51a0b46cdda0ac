"""Personal data stays out of transcripts: find card numbers, CPF, CNPJ, phone numbers and e-mail
addresses (written or spoken, Portuguese and English) and replace them with typed placeholders.

:func:`redact_transcript` applies a :class:`PrivacyPolicy` (a company's ``[privacy]`` settings, see
:func:`company_policy`) to a transcript; :func:`find_personal_data` is the detector underneath.
"""

from __future__ import annotations

from perftel.privacy.detect import KINDS, Finding, Span, Utterance, find_personal_data
from perftel.privacy.policy import PrivacyPolicy, company_policy, policy_for_transcript
from perftel.privacy.redact import PLACEHOLDERS, Redaction, redact_transcript

__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "Finding",
    "PrivacyPolicy",
    "Redaction",
    "Span",
    "Utterance",
    "company_policy",
    "find_personal_data",
    "policy_for_transcript",
    "redact_transcript",
]
