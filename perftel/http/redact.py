"""Keep secrets out of error messages: URLs lose tokens and signatures, bodies are cut short."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SENSITIVE_PARAMS = {
    "access_token",
    "refresh_token",
    "token",
    "code",
    "client_secret",
    "signature",
    "sig",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "api_key",
    "apikey",
    "key",
    "password",
    "jwt",
    "assertion",
    "expires",
    "policy",
    "key-pair-id",
}
REDACTED = "REDACTED"
# Path segments that look like tokens (long opaque strings) are redacted too, e.g. /content/{token}.
_TOKENISH = re.compile(r"^[A-Za-z0-9_\-.~+=]{24,}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def redact_url(url: object) -> str:
    """``url`` with credentials, sensitive query values and token-like path parts replaced."""
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = urlencode(
        [
            (k, REDACTED if k.lower() in SENSITIVE_PARAMS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe=":",
    )
    segments = [
        REDACTED if _TOKENISH.match(seg) and not _UUID.match(seg) and not seg.isdigit() else seg
        for seg in parts.path.split("/")
    ]
    return urlunsplit((parts.scheme, netloc, "/".join(segments), query, ""))


def redact_text(text: str, secrets: list[str] | tuple[str, ...] = (), *, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters with every known secret replaced."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = re.sub(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]+", r"\1" + REDACTED, text)
    text = re.sub(
        r'(?i)("?(?:access_token|refresh_token|client_secret|password|token)"?\s*[:=]\s*"?)[^",&\s}]+',
        r"\1" + REDACTED,
        text,
    )
    return text if len(text) <= limit else text[:limit] + "…"


class RedactingFilter(logging.Filter):
    """Rewrites URLs in log records (httpx logs every request's full URL at INFO) without their secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's URL arguments and message URLs with :func:`redact_url`; returns True."""
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact_url(a) if "://" in str(a) else a for a in args)
        if isinstance(record.msg, str) and "://" in record.msg:
            record.msg = re.sub(r"\S+://\S+", lambda m: redact_url(m.group(0)), record.msg)
        return True


def install_log_redaction() -> None:
    """Make the HTTP libraries' own loggers redact what they print (idempotent)."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
