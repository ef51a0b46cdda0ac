"""Encrypted, multi-tenant credential store and the OAuth token lifecycle on top of it."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from perftel.credentials import CredentialStore
from perftel.errors import ConfigError, CredentialsError
from perftel.http.oauth import MemoryTokenStore, TokenManager

SECRET = "s3cr3t-client-secret-value"
REFRESH = "rt-very-secret-refresh-token"


@pytest.fixture
def store(tmp_path):
    return CredentialStore(tmp_path / "cfg")


def scan_for(root, *needles):
    hits = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            data = Path(dirpath, name).read_bytes()
            hits += [(name, n) for n in needles if n.encode() in data]
    return hits


def test_round_trip_encrypted_at_rest_owner_only(store):
    store.save(
        "acme", "goto_connect", {"client_id": "cid", "client_secret": SECRET, "refresh_token": REFRESH}
    )
    assert store.load("acme", "goto_connect") == {"client_id": "cid", "client_secret": SECRET}
    assert store.tokens("acme", "goto_connect").load().refresh_token == REFRESH
    assert scan_for(store.root, SECRET, REFRESH, "cid") == []
    key_mode = stat.S_IMODE(store.key_file.stat().st_mode)
    file_mode = stat.S_IMODE((store.root / "credentials" / "acme" / "goto_connect.enc").stat().st_mode)
    assert key_mode == 0o600 and file_mode == 0o600
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700


def test_list_shows_names_and_dates_never_secrets(store):
    store.save("acme", "goto_connect", {"client_id": "cid", "client_secret": SECRET})
    store.save("beta", "goto_connect", {"client_id": "cid2", "client_secret": "other"})
    infos = store.list()
    assert [(i.company_id, i.provider) for i in infos] == [("acme", "goto_connect"), ("beta", "goto_connect")]
    assert infos[0].fields == ("client_id", "client_secret") and infos[0].created_at
    assert SECRET not in repr(infos) and SECRET not in repr(store)


def test_tenants_are_separate(store):
    store.save("acme", "goto_connect", {"client_id": "a", "client_secret": "sa"})
    with pytest.raises(CredentialsError, match="No goto_connect credentials saved for company 'beta'"):
        store.load("beta", "goto_connect")
    # A file copied into another company's folder is refused.
    src = store.root / "credentials" / "acme" / "goto_connect.enc"
    (store.root / "credentials" / "beta").mkdir()
    (store.root / "credentials" / "beta" / "goto_connect.enc").write_bytes(src.read_bytes())
    with pytest.raises(CredentialsError, match="belongs to another company"):
        store.load("beta", "goto_connect")
    with pytest.raises(ConfigError):
        store.load("../acme", "goto_connect")


def test_wrong_key_is_a_clear_error(tmp_path):
    CredentialStore(tmp_path, secret_key=Fernet.generate_key().decode()).save(
        "acme", "goto_connect", {"client_id": "x"}
    )
    with pytest.raises(CredentialsError, match="Cannot decrypt") as info:
        CredentialStore(tmp_path, secret_key="another passphrase").load("acme", "goto_connect")
    assert str(info.value) != "x"


def test_secret_key_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PERFTEL_SECRET_KEY", "a passphrase, not a Fernet key")
    CredentialStore(tmp_path).save("acme", "goto_connect", {"client_id": "x"})
    assert not (tmp_path / "secret.key").exists()
    assert CredentialStore(tmp_path).load("acme", "goto_connect") == {"client_id": "x"}


def test_group_readable_key_file_refused(store):
    store.save("acme", "goto_connect", {"client_id": "x"})
    os.chmod(store.key_file, 0o644)
    with pytest.raises(CredentialsError, match="chmod 600"):
        CredentialStore(store.root).load("acme", "goto_connect")


def test_token_manager_refreshes_once_keeps_old_refresh_token_and_persists():
    calls = []

    def refresh(rt):
        calls.append(rt)
        time.sleep(0.05)
        return {"access_token": f"at{len(calls)}", "expires_in": 3600}

    manager = TokenManager(MemoryTokenStore(), refresh, provider="P")
    manager.store.update(lambda s: type(s)(refresh_token="rt0"))
    threads = [threading.Thread(target=manager.access_token) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert calls == ["rt0"]  # single flight
    assert manager.store.load().refresh_token == "rt0"  # kept: the response had none
    # A rotated refresh token replaces the old one.
    manager.refresh_after_rejection("at1")
    assert calls == ["rt0", "rt0"]
    manager._refresh_fn = lambda rt: {"access_token": "at9", "refresh_token": "rt9", "expires_in": 3600}
    manager.refresh_after_rejection(manager.store.load().access_token)
    assert manager.store.load().refresh_token == "rt9"
    assert "at9" not in repr(manager.store.load())


def test_stored_tokens_update_under_lock(store):
    store.save("acme", "goto_connect", {"client_id": "c", "refresh_token": "r1"})
    manager = TokenManager(
        store.tokens("acme", "goto_connect"),
        lambda rt: {"access_token": "a", "refresh_token": rt + "x", "expires_in": 60 * 60},
        provider="P",
    )
    assert manager.access_token() == "a"
    assert store.tokens("acme", "goto_connect").load().refresh_token == "r1x"
    assert store.load("acme", "goto_connect") == {"client_id": "c"}  # secrets untouched
    # A second manager (another kernel) sees the fresh token and does not refresh again.
    other = TokenManager(
        store.tokens("acme", "goto_connect"), lambda rt: pytest.fail("refreshed twice"), provider="P"
    )
    assert other.access_token() == "a"


def test_missing_refresh_token_says_what_to_do():
    manager = TokenManager(MemoryTokenStore(), lambda rt: {}, provider="GoTo Connect")
    with pytest.raises(CredentialsError, match="connect the account first"):
        manager.access_token()
