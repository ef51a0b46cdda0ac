"""Security: no plaintext secret on disk or in logs, reprs and summaries; TLS verified by default."""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from perftel import CredentialStore, create_provider, run_pipeline
from perftel.errors import NetworkError
from perftel.http import ApiClient
from tests.reliability.conftest import DAY, HeaderTranscriber


def test_no_secret_on_disk_in_logs_or_reprs(sandbox, make_provider, tmp_path, caplog):
    store = CredentialStore(tmp_path / "config")
    store.save("acme", sandbox.provider_name, sandbox.credentials)
    provider = create_provider(sandbox.provider_name, "acme", base_url=sandbox.base_url, store=store)
    secret_fields = {f.name for f in provider.credential_fields if f.secret}
    sandbox.faults.server_errors = 2  # make the retry path log too
    with caplog.at_level(logging.DEBUG):
        result = run_pipeline(
            provider,
            start_date=DAY,
            end_date=DAY,
            transcriber=HeaderTranscriber(),
            data_dir=tmp_path / "data",
        )
    assert result.transcribed
    secrets = [v for k, v in sandbox.credentials.items() if k in secret_fields]
    # Tokens issued during the run, and signatures of signed media URLs (whole URLs are checked in redacted form).
    secrets += [v for v in provider.secret_values() if v and len(v) >= 24 and "://" not in v]
    assert secrets
    texts = {"logs": caplog.text, "summary": result.summary(), "reprs": f"{provider!r} {store!r} {result!r}"}
    for name, text in texts.items():
        assert not [s for s in secrets if s in text], name
    for path in (tmp_path).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [s for s in secrets if s.encode() in data], path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_tls_is_verified_by_default(tls_server, fast_retries):
    with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
        ApiClient(provider="Test", base_url=tls_server).get_json("/")
    for name in ("goto_connect", "twilio", "aircall", "ringcentral"):  # every driver keeps the default
        provider = create_provider(name, "acme", base_url=tls_server, credentials={})
        assert provider._verify is True
    # Turning it off is explicit, never silent.
    assert ApiClient(provider="Test", base_url=tls_server, verify=False).get_json("/") == {}
