"""Aircall's recording and voicemail files as the sandbox serves them: on the *other* host name, behind
S3-style pre-signed URLs (``X-Amz-*`` query, HMAC-signed, expiring) with S3's XML errors, as MP3 (encoded
from ``media/*.wav`` with PyAV when it can) or else WAV (REFERENCE.md §3.4).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import threading
import time
import wave
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import urlencode

from perftel_sandbox.messages import SandboxResponse, text_response
from perftel_sandbox.speech import MEDIA_DIR

_STAMP = "%Y%m%dT%H%M%SZ"


def s3_error(status: int, code: str, message: str) -> SandboxResponse:
    """S3's XML error ``<Error><Code>…</Code><Message>…</Message></Error>`` (``application/xml``)."""
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return text_response(status, xml, "application/xml")


@lru_cache(maxsize=16)
def encoded_media(name: str, media_format: str) -> tuple[bytes, str]:
    """``(bytes, content type)`` of ``media/<name>`` as MP3 (PyAV + libmp3lame, 32 kb/s) when
    ``media_format`` is "mp3" and that is possible, else the WAV itself (``audio/wav``)."""
    raw = (MEDIA_DIR / name).read_bytes()
    if media_format != "mp3":
        return raw, "audio/wav"
    try:
        import av

        with wave.open(io.BytesIO(raw)) as w:
            channels, rate, pcm = w.getnchannels(), w.getframerate(), w.readframes(w.getnframes())
        out_buf = io.BytesIO()
        layout = "stereo" if channels == 2 else "mono"
        with av.open(out_buf, "w", format="mp3") as out:
            stream = out.add_stream("libmp3lame", rate=rate, layout=layout)
            stream.bit_rate = 32000
            step = (stream.codec_context.frame_size or 1152) * 2 * channels
            for i in range(0, len(pcm), step):
                chunk = pcm[i : i + step]
                frame = av.AudioFrame(format="s16", layout=layout, samples=len(chunk) // (2 * channels))
                frame.planes[0].update(chunk)
                frame.rate = rate
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        return out_buf.getvalue(), "audio/mpeg"
    except Exception:  # no PyAV / no MP3 encoder: serve the WAV
        return raw, "audio/wav"


class SignedMediaUrls:
    """Issues and checks the pre-signed media URLs of one sandbox. Thread-safe.

    ``ttl`` is the links' lifetime in seconds (``X-Amz-Expires``); :meth:`expire_all` makes every link
    issued so far answer "Request has expired" (a new signing generation).
    """

    def __init__(self, signing_key: bytes, media_base_url: str, seed: int, ttl: int) -> None:
        self._key, self.media_base_url, self.seed, self.ttl = signing_key, media_base_url, seed, ttl
        self._lock = threading.Lock()
        self._generation = 0

    def expire_all(self) -> None:
        """Every URL issued so far stops working (403 "Request has expired")."""
        with self._lock:
            self._generation += 1

    def _signature(self, kind: str, ident: str, stamp: str, ttl: str, generation: int) -> str:
        message = f"{generation}:{kind}:{ident}:{stamp}:{ttl}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(self, kind: str, ident: int) -> str:
        """A fresh URL for call ``ident``'s ``kind`` ("recording" or "voicemail") audio, signed now (UTC)."""
        now = datetime.now(timezone.utc)
        stamp = now.strftime(_STAMP)
        with self._lock:
            generation = self._generation
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"ASIASANDBOX{self.seed:04d}/{now:%Y%m%d}/eu-west-1/s3/aws4_request",
            "X-Amz-Date": stamp,
            "X-Amz-Expires": str(self.ttl),
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": self._signature(kind, str(ident), stamp, str(self.ttl), generation),
        }
        folder = "recordings" if kind == "recording" else "voicemails"
        return f"{self.media_base_url}/{folder}/{ident}.mp3?{urlencode(query)}"

    def refusal(self, kind: str, ident: str, query: dict[str, str]) -> SandboxResponse | None:
        """``None`` when ``query`` signs ``kind``/``ident`` and has not expired, else S3's 403 (signature
        mismatch, bad date, or expired — by time or by :meth:`expire_all`)."""
        stamp, ttl = query.get("X-Amz-Date", ""), query.get("X-Amz-Expires", "")
        given = query.get("X-Amz-Signature", "")
        with self._lock:
            generation = self._generation
        matches = [
            g
            for g in range(generation, -1, -1)
            if hmac.compare_digest(given, self._signature(kind, ident, stamp, ttl, g))
        ]
        if not matches:
            return s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        try:
            signed_at = datetime.strptime(stamp, _STAMP).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            return s3_error(403, "AccessDenied", "Invalid date")
        if matches[0] != generation or signed_at + int(ttl) <= time.time():
            return s3_error(403, "AccessDenied", "Request has expired")
        return None
