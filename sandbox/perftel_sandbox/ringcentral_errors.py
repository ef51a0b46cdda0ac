"""RingCentral's error bodies as the sandbox sends them (REFERENCE.md §4; ``rc-public-openapi.yml``):
``{"errors": [{"errorCode", "message", ...}]}``, plus OAuth's ``error``/``error_description`` on the
token endpoint. Standard library only.
"""

from __future__ import annotations

from perftel_sandbox.messages import SandboxResponse, json_response
from perftel_sandbox.oauth import OAuthError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# SandboxTokens.check_bearer's verdicts → (errorCode, message) of the 401
BEARER_PROBLEMS = {
    "malformed": ("OAU-129", "Access token corrupted"),
    "invalid": ("OAU-129", "Access token corrupted"),
    "expired": ("OAU-128", "Access token expired"),
}


def rc_error(
    status: int, code: str, message: str, headers: dict | None = None, **extra: str
) -> SandboxResponse:
    """RingCentral's error body ``{"errors": [{"errorCode", "message", ...}]}``; ``extra`` adds fields to
    the entry (``parameterName``, ``permissionName``)."""
    return json_response(status, {"errors": [{"errorCode": code, "message": message, **extra}]}, headers)


def oauth_error(error: OAuthError, code: str, parameter: str | None = None) -> SandboxResponse:
    """The token endpoint's error: RFC 6749 ``error``/``error_description`` and RingCentral's ``errors``
    entry with ``code`` (and ``parameterName``), status from ``error``, never cached."""
    entry = {"errorCode": code, "message": error.description}
    if parameter:
        entry["parameterName"] = parameter
    body = {"error": error.error, "error_description": error.description, "errors": [entry]}
    return json_response(error.status, body, NO_STORE)


def bearer_error(problem: str, scheme: str) -> SandboxResponse:
    """The 401 for a :meth:`~perftel_sandbox.oauth.SandboxTokens.check_bearer` verdict ``problem``."""
    if problem == "missing":
        return rc_error(
            401, "OAU-123", "Authorization header is not specified", parameterName="Authorization"
        )
    if problem == "scheme":
        return rc_error(401, "OAU-123", f"Authorization scheme {scheme!r} is not supported")
    return rc_error(401, *BEARER_PROBLEMS[problem])


def missing_resource(parameter: str) -> SandboxResponse:
    """404 CMN-102 "Resource for parameter [<parameter>] is not found" (e.g. ``accountId``, ``recordingId``)."""
    return rc_error(
        404, "CMN-102", f"Resource for parameter [{parameter}] is not found", parameterName=parameter
    )
