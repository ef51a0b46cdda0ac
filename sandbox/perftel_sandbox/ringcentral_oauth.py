"""RingCentral's token endpoint as the sandbox emulates it (REFERENCE.md §4.1): ``POST /restapi/oauth/token``
with HTTP Basic client auth and a form body, for the JWT-bearer grant (the app's JWT credential) and
single-use refresh tokens. Standard library only.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from perftel_sandbox.messages import SandboxRequest, SandboxResponse, json_response
from perftel_sandbox.oauth import OAuthError
from perftel_sandbox.ringcentral_errors import NO_STORE, oauth_error, rc_error

if TYPE_CHECKING:
    from perftel_sandbox.ringcentral import RingCentralSandbox

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "ReadAccounts ReadCallLog ReadCallRecording"
_ERROR_CODES = {"invalid_client": "OAU-123", "invalid_grant": "OAU-140"}  # anything else: OAU-101


def token_response(sandbox: RingCentralSandbox, request: SandboxRequest) -> SandboxResponse:
    """Answer a token request against ``sandbox``'s token store and JWT.

    Success: ``{"access_token", "token_type", "expires_in" (seconds), "scope", "owner_id", "endpoint_id",
    "session_id"}`` plus ``refresh_token``/``refresh_token_expires_in`` when one is issued. A body that is
    not form-encoded → 415 CMN-415; a refused grant → :func:`~perftel_sandbox.ringcentral_errors.oauth_error`.
    Every grant and refusal is counted in ``sandbox.stats`` (``granted:<grant>``, ``refused:<grant>:<error>``).
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return rc_error(415, "CMN-415", "Unsupported Media Type")
    form = request.form()
    grant = form.get("grant_type", "")
    store = sandbox.store
    try:
        try:
            store.check_basic(request.headers.get("authorization"))
        except OAuthError as exc:
            raise OAuthError("invalid_client", f"Invalid client: {exc.description}", 400) from exc
        if grant == JWT_GRANT:
            if not form.get("assertion"):
                return oauth_error(
                    OAuthError("invalid_request", "assertion is required"), "OAU-101", "assertion"
                )
            if form["assertion"] != sandbox.jwt or sandbox.jwt_revoked:
                raise OAuthError("invalid_grant", "Invalid assertion: the JWT is unknown, expired or revoked")
            access = store.issue_access_token()
            refresh = store.issue_refresh_token() if sandbox.issue_refresh_tokens else None
        elif grant == "refresh_token":
            if not form.get("refresh_token"):
                return oauth_error(
                    OAuthError("invalid_request", "refresh_token is required"), "OAU-101", "refresh_token"
                )
            access, refresh = store.refresh(form["refresh_token"])  # single use: the old one dies
        else:
            raise OAuthError("unsupported_grant_type", f"Unsupported grant type: {grant!r}")
    except OAuthError as exc:
        sandbox.stats[f"refused:{grant or '-'}:{exc.error}"] += 1
        return oauth_error(exc, _ERROR_CODES.get(exc.error, "OAU-101"))
    sandbox.stats[f"granted:{grant}"] += 1
    body = {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": store.token_ttl,
        "scope": SCOPE,
        "owner_id": str(sandbox.user.id),
        "endpoint_id": uuid.uuid4().hex[:22],
        "session_id": str(uuid.uuid4().int % 10**12),
    }
    if refresh:
        body.update(refresh_token=refresh, refresh_token_expires_in=sandbox.refresh_token_ttl)
    return json_response(200, body, NO_STORE)
