"""Fixtures for the reliability suite: every provider's sandbox, and a fast stand-in transcriber."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from perftel import create_provider
from perftel.errors import TranscriptionError
from perftel.models import TranscriptionResult, TranscriptionSegment
from perftel_sandbox import start_sandbox

# Each provider's sandbox, with its own pacing opened up so the suite stays quick (the pacing has its
# own tests in tests/providers).
SANDBOX_OPTIONS = {
    "goto_connect": {},
    "twilio": {},
    "aircall": {"enforce_rate_limit": False},
    "ringcentral": {
        "heavy_limit": 1000,
        "rate_limits": {"Auth": 1000, "Light": 1000, "Medium": 1000},
        "penalty_seconds": 1,
    },
}
DAY = "2026-11-17"


class HeaderTranscriber:
    """Stand-in with the Transcriber interface: decodes the container header with PyAV (WAV and MP3)."""

    model_name = "header"

    def initialize(self) -> None:
        pass

    def transcribe(
        self, path, *, recording_id=None, channel_roles=None, language=None
    ) -> TranscriptionResult:
        import av

        try:
            with av.open(str(path)) as container:
                stream = container.streams.audio[0]
                seconds = (
                    float(stream.duration * stream.time_base)
                    if stream.duration
                    else float(container.duration or 0) / 1e6
                )
        except (av.FFmpegError, IndexError) as exc:
            raise TranscriptionError(f"{path}: not audio ({exc})", path=str(path)) from exc
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
        return TranscriptionResult(
            recording_id=recording_id or Path(path).stem,
            text=f"{seconds:.1f}s {digest}",
            segments=[
                TranscriptionSegment(0.0, seconds, digest, channel=0, speaker=(channel_roles or {}).get(0))
            ],
            language="en",
            duration=seconds,
            model=self.model_name,
        )


@pytest.fixture(params=sorted(SANDBOX_OPTIONS), scope="module")
def sandbox(request):
    with start_sandbox(request.param, seed=21, **SANDBOX_OPTIONS[request.param]) as sb:
        sb.provider_name = request.param
        yield sb


@pytest.fixture
def make_provider(sandbox):
    sandbox.faults.reset()

    def make(company: str = "acme", **overrides):
        options = {"base_url": sandbox.base_url, "credentials": sandbox.credentials, **overrides}
        return create_provider(sandbox.provider_name, company, **options)

    yield make
    sandbox.faults.reset()
