"""The RingCentral sandbox behaves like REFERENCE.md §4 says the real API does, and its payloads
validate against the official OpenAPI spec (``rc-public-openapi.yml``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from perftel_sandbox import serve, start_sandbox
from perftel_sandbox.ringcentral_oauth import JWT_GRANT
from perftel_sandbox.speech import MEDIA_DIR

SPEC = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "providers"
    / "specs"
    / "ringcentral"
    / "rc-public-openapi.yml"
)
EXAMPLES = SPEC.parents[2] / "examples"
WEEK = {"dateFrom": "2025-03-03T00:00:00.000Z", "dateTo": "2025-03-10T00:00:00.000Z"}
ACC = "/restapi/v1.0/account/{accountId}"
CALL_LOG, USER_LOG = f"{ACC}/call-log", f"{ACC}/extension/{{extensionId}}/call-log"
FAST = {"heavy_limit": 1000, "light_limit": 1000, "auth_limit": 1000}


@pytest.fixture(scope="session")
def spec():
    if not SPEC.is_file():
        pytest.fail(f"The RingCentral spec is missing: {SPEC}")
    with SPEC.open("rb") as handle:
        return yaml.load(handle, Loader=yaml.CSafeLoader)


def _deref(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def check(spec, payload, path, method, status, content_type="application/json"):
    """Validate ``payload`` against what the spec's ``path``/``method`` documents for ``status``."""
    operation = spec["paths"][path][method]
    response = _deref(spec, operation["responses"][str(status)])
    schema = response["content"][content_type]["schema"]
    validate(spec, payload, schema)


def validate(spec, payload, schema):
    validator = OAS30Validator(
        {**schema, "components": spec["components"]}, format_checker=OAS30Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(payload)]
    assert not errors, errors[:5]


def ref(name):
    return {"$ref": f"#/components/{name}"}


def response_schema(spec, name):
    """The JSON schema of a shared response (``components/responses/<name>``)."""
    return spec["components"]["responses"][name]["content"]["application/json"]["schema"]


@pytest.fixture
def sb():
    with start_sandbox("ringcentral", seed=7, **FAST) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb):
    with httpx.Client(base_url=sb.base_url, timeout=10) as http:
        yield http


def grant(client, sb, **form):
    form = form or {"grant_type": JWT_GRANT, "assertion": sb.credentials["jwt"]}
    return client.post(
        "/restapi/oauth/token", data=form, auth=(sb.credentials["client_id"], sb.credentials["client_secret"])
    )


def bearer(client, sb):
    return {"Authorization": f"Bearer {grant(client, sb).json()['access_token']}"}


def call_log(client, headers, path="/restapi/v1.0/account/~/call-log", **params):
    return client.get(path, params={**WEEK, **params}, headers=headers)


# --- the spec -----------------------------------------------------------------------------------
def test_the_checker_rejects_what_the_spec_forbids(spec):
    page = json.loads((EXAMPLES / "ringcentral_call_log_page.json").read_text())
    check(spec, page, CALL_LOG, "get", 200)  # the reference example is valid
    page["records"][0]["direction"] = "inbound"
    page["paging"]["perPage"] = 0
    with pytest.raises(AssertionError, match="Inbound"):
        check(spec, page, CALL_LOG, "get", 200)
    with pytest.raises(AssertionError):
        check(spec, {"error": "x"}, CALL_LOG, "get", 404)


def test_token_responses_and_oauth_errors_match_the_spec(spec, sb, client):
    jwt = grant(client, sb)
    assert jwt.status_code == 200 and jwt.headers["Cache-Control"] == "no-store"
    check(spec, jwt.json(), "/restapi/oauth/token", "post", 200)
    assert jwt.json()["token_type"] == "bearer" and jwt.json()["refresh_token"]
    refreshed = grant(client, sb, grant_type="refresh_token", refresh_token=jwt.json()["refresh_token"])
    check(spec, refreshed.json(), "/restapi/oauth/token", "post", 200)
    reused = grant(client, sb, grant_type="refresh_token", refresh_token=jwt.json()["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"  # single use
    check(spec, reused.json(), "/restapi/oauth/token", "post", 400)
    wrong = client.post(
        "/restapi/oauth/token", data={"grant_type": JWT_GRANT, "assertion": sb.jwt}, auth=("x", "y")
    )
    assert wrong.json()["error"] == "invalid_client"
    check(spec, wrong.json(), "/restapi/oauth/token", "post", 400)
    for form in (
        {"grant_type": "password"},
        {"grant_type": JWT_GRANT},
        {"grant_type": JWT_GRANT, "assertion": "a.b.c"},
    ):
        answer = grant(client, sb, **form)
        assert answer.status_code == 400
        check(spec, answer.json(), "/restapi/oauth/token", "post", 400)
    assert client.post("/restapi/oauth/token", json={"grant_type": JWT_GRANT}).status_code == 415


def test_call_log_pages_match_the_spec(spec, sb, client):
    headers = bearer(client, sb)
    for params in (
        {"view": "Detailed"},
        {"view": "Simple", "perPage": "3"},
        {"perPage": "max", "page": "1"},
        {"perPage": "3", "page": "2"},
        {"page": "999"},
    ):
        page = call_log(client, headers, **params)
        assert page.status_code == 200, page.text
        check(spec, page.json(), CALL_LOG, "get", 200)
    user = call_log(client, headers, path="/restapi/v1.0/account/~/extension/~/call-log", view="Detailed")
    check(spec, user.json(), USER_LOG, "get", 200)
    assert user.json()["records"] and all(r["extension"]["id"] == sb.user.id for r in user.json()["records"])


def test_other_resources_match_the_spec(spec, sb, client):
    headers = bearer(client, sb)
    ext = client.get("/restapi/v1.0/account/~/extension/~", headers=headers)
    check(spec, ext.json(), f"{ACC}/extension/{{extensionId}}", "get", 200)
    record = next(r for r in call_log(client, headers).json()["records"] if "recording" in r)
    info = client.get(urlsplit(record["recording"]["uri"]).path, headers=headers)
    check(spec, info.json(), f"{ACC}/recording/{{recordingId}}", "get", 200)
    assert info.json()["contentUri"] == record["recording"]["contentUri"]
    content = f"{ACC}/recording/{{recordingId}}/content"
    assert "audio/wav" in spec["paths"][content]["get"]["responses"]["200"]["content"]
    assert spec["paths"][content]["get"]["x-throttling-group"] == "Heavy"
    assert spec["paths"][CALL_LOG]["get"]["x-throttling-group"] == "Heavy"
    assert spec["paths"]["/restapi/oauth/token"]["post"]["x-throttling-group"] == "Auth"


def test_error_bodies_match_the_spec(spec, sb, client):
    headers = bearer(client, sb)
    bad = call_log(client, headers, dateFrom="yesterday")
    assert bad.status_code == 400 and bad.json()["errors"][0]["errorCode"] == "CMN-101"
    check(spec, bad.json(), CALL_LOG, "get", 400)
    missing = client.get("/restapi/v1.0/account/~/recording/123", headers=headers)
    check(spec, missing.json(), f"{ACC}/recording/{{recordingId}}", "get", 404)
    unauthorised = client.get("/restapi/v1.0/account/~/call-log", params=WEEK)
    assert unauthorised.status_code == 401
    validate(spec, unauthorised.json(), response_schema(spec, "Unauthorized"))
    sb.faults.server_errors = 2
    for status in (503, 500):
        failed = call_log(client, headers)
        assert failed.status_code == status
        check(spec, failed.json(), CALL_LOG, "get", status)
    sb.faults.rate_limit_burst = 1
    limited = call_log(client, headers)
    assert limited.status_code == 429 and limited.json() == json.loads(
        (EXAMPLES / "ringcentral_error_429.json").read_text()
    )
    validate(spec, limited.json(), response_schema(spec, "TooManyRequests"))
    with (
        start_sandbox("ringcentral", seed=7, admin=False, **FAST) as user_only,
        httpx.Client(base_url=user_only.base_url) as c,
    ):
        forbidden = call_log(c, bearer(c, user_only))
        assert forbidden.status_code == 403 and forbidden.json()["errors"][0]["errorCode"] == "CMN-401"
        check(spec, forbidden.json(), CALL_LOG, "get", 403)


def test_the_clients_requests_match_the_spec(spec):
    """What perftel sends: the token form (GetTokenRequest) and the call-log query parameters."""
    from perftel import create_provider

    with start_sandbox("ringcentral", seed=7, max_per_page=5, **FAST) as sb:
        create_provider("ringcentral", "acme", base_url=sb.base_url, credentials=sb.credentials).fetch_calls(
            "2025-03-03", "2025-03-05"
        )
        token = next(r for r in sb.requests if r.path == "/restapi/oauth/token")
        validate(spec, dict(parse_qsl(token.body.decode())), ref("schemas/GetTokenRequest"))
        declared = {}
        for parameter in spec["paths"][CALL_LOG]["get"]["parameters"]:
            parameter = _deref(spec, parameter)
            declared[parameter["name"]] = parameter["schema"]
        logs = [r for r in sb.requests if r.path.endswith("/call-log")]
        assert len(logs) > 1
        for request in logs:
            assert {"dateFrom", "dateTo"} <= set(request.query) <= set(declared)
            for name, value in request.query.items():
                kind = declared[name].get("type")
                typed = int(value) if kind == "integer" or (name == "perPage" and value.isdigit()) else value
                typed = [typed] if kind == "array" else typed  # repeatable parameters (type, direction)
                validate(spec, typed, declared[name])


# --- behaviour --------------------------------------------------------------------------------
def test_missing_date_from_means_the_last_24_hours(sb, client):
    headers = bearer(client, sb)
    page = client.get(
        "/restapi/v1.0/account/~/call-log", params={"dateTo": "2025-03-05T00:00:00Z"}, headers=headers
    )
    times = [r["startTime"] for r in page.json()["records"]]
    assert times and all("2025-03-04T" in t for t in times)


def test_paging_links_and_past_the_last_page(sb, client):
    headers = bearer(client, sb)
    first = call_log(client, headers, perPage="4").json()
    assert first["paging"]["page"] == 1 and first["paging"]["perPage"] == 4
    nxt = first["navigation"]["nextPage"]["uri"]
    assert dict(parse_qsl(urlsplit(nxt).query)) == {"page": "2", "perPage": "4"}  # the links drop our filters
    pages, page = [first], 1
    while "nextPage" in pages[-1]["navigation"]:
        page += 1
        pages.append(call_log(client, headers, perPage="4", page=str(page)).json())
    ids = [r["id"] for p in pages for r in p["records"]]
    assert len(ids) == len(set(ids)) == first["paging"]["totalElements"]
    starts = [r["startTime"] for p in pages for r in p["records"]]
    assert starts == sorted(starts, reverse=True)  # newest first
    past = call_log(client, headers, perPage="4", page=str(page + 1)).json()
    assert past["records"] == [] and past["paging"] == {"perPage": 4} and past["navigation"] == {}
    assert call_log(client, headers, perPage="0").status_code == 400


def test_sessions_have_legs_transfers_and_stay_the_same_across_restarts(sb, client):
    headers = bearer(client, sb)
    records = call_log(
        client, headers, view="Detailed", dateFrom="2025-03-01T00:00:00Z", dateTo="2025-03-15T00:00:00Z"
    ).json()["records"]
    assert all(r["legs"] and r["legs"][0]["master"] for r in records)
    sessions = {}
    for r in records:
        sessions.setdefault(r["telephonySessionId"], []).append(r)
    assert any(len(group) > 1 for group in sessions.values()), "a transfer: two records, one session"
    assert {r["result"] for r in records} >= {"Accepted", "Call connected", "Missed"}
    simple = call_log(client, headers).json()["records"]
    assert simple and not any("legs" in r for r in simple)
    with start_sandbox("ringcentral", seed=7, **FAST) as again, httpx.Client(base_url=again.base_url) as c:
        assert again.credentials == sb.credentials
        assert [r["id"] for r in call_log(c, bearer(c, again)).json()["records"]] == [r["id"] for r in simple]


def test_rate_limit_headers_and_penalty_window():
    with (
        start_sandbox("ringcentral", seed=7, heavy_limit=2, rate_window=60, penalty_seconds=0.4) as sb,
        httpx.Client(base_url=sb.base_url) as client,
    ):
        headers = bearer(client, sb)
        answers = [call_log(client, headers) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert [a.headers["X-Rate-Limit-Remaining"] for a in answers[:2]] == ["1", "0"]
        assert (
            answers[0].headers["X-Rate-Limit-Group"] == "Heavy"
            and answers[0].headers["X-Rate-Limit-Window"] == "60"
        )
        assert answers[2].headers["Retry-After"] == "0.4"
        light = client.get("/restapi/v1.0/account/~/extension/~", headers=headers)
        assert (
            light.status_code == 200 and light.headers["X-Rate-Limit-Group"] == "Light"
        )  # other groups go on
        time.sleep(0.25)
        assert call_log(client, headers).status_code == 429  # inside the window: it restarts
        time.sleep(0.25)
        assert call_log(client, headers).status_code == 429 and sb.penalty_violations == 2
    with (
        start_sandbox("ringcentral", seed=7, heavy_limit=2, rate_window=0.3, penalty_seconds=0.3) as sb,
        httpx.Client(base_url=sb.base_url) as client,
    ):
        headers = bearer(client, sb)
        assert [call_log(client, headers).status_code for _ in range(3)] == [200, 200, 429]
        time.sleep(0.35)
        assert call_log(client, headers).status_code == 200  # the window passed untouched


def test_media_host_bearer_ranges_and_faults(sb, client):
    headers = bearer(client, sb)
    record = next(r for r in call_log(client, headers).json()["records"] if "recording" in r)
    content = record["recording"]["contentUri"]
    assert urlsplit(content).hostname == sb.media_host != urlsplit(sb.base_url).hostname
    expected = (MEDIA_DIR / sb.recording_media(record["recording"]["id"])).read_bytes()
    full = httpx.get(content, headers=headers)
    assert (
        full.status_code == 200 and full.content == expected and full.headers["Content-Type"] == "audio/wav"
    )
    assert httpx.get(content).status_code == 401
    token = headers["Authorization"].split()[1]
    assert httpx.get(content, params={"access_token": token}).content == expected
    assert client.get(urlsplit(content).path, headers=headers).status_code == 404  # not on the platform host
    part = httpx.get(content, headers={**headers, "Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == expected[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(expected)}"
    assert httpx.get(content, headers={**headers, "Range": f"bytes={len(expected)}-"}).status_code == 416
    sb.faults.partial_media = 1
    half = httpx.get(content, headers=headers)
    assert half.status_code == 206 and half.content == expected[: len(expected) // 2]
    sb.faults.truncate_media = 1
    with pytest.raises(httpx.HTTPError):
        httpx.get(content, headers=headers)
    sb.faults.expire_access_tokens()
    expired = httpx.get(content, headers=headers)
    assert expired.status_code == 401 and expired.json()["errors"][0]["errorCode"] == "OAU-128"


def test_revoke_kills_the_jwt_and_every_token(sb, client):
    first = grant(client, sb).json()
    sb.faults.revoke()
    assert grant(client, sb).json()["error"] == "invalid_grant"
    assert (
        grant(client, sb, grant_type="refresh_token", refresh_token=first["refresh_token"]).status_code == 400
    )
    assert call_log(client, {"Authorization": f"Bearer {first['access_token']}"}).status_code == 401
    assert sb.stats["granted:" + JWT_GRANT] == 1


def test_serve_prints_the_demo_credentials(monkeypatch, capsys):
    def stop(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", stop)
    serve("ringcentral", seed=7)
    out = capsys.readouterr().out
    assert "ringcentral emulator" in out and "jwt" in out and "media URL" in out and "Heavy 10/60s" in out
