"""Audio decoding for transcription: a file as 16 kHz float32 blocks, never the whole file at once.

:func:`scan` reads a file once, block by block, to check it (empty, truncated, not audio, unsupported
codec → :class:`~perftel.errors.TranscriptionError` naming the file and the cause) and to learn its length
and whether the two sides of a stereo file carry the same signal. :func:`iter_blocks` then streams it in
blocks of ``block_seconds``: memory stays one block (plus one codec frame) whatever the file's length.
A file whose header announces a length (:mod:`perftel.announced_length`) but decodes shorter is truncated.

:func:`probe` and :func:`find_audio_files` decide what is audio by opening it (any container and codec
FFmpeg decodes: AMR, GSM, 3GP, CAF, WebM, …), never by its name; the suffixes below only name downloads.
PyAV (FFmpeg) only; no Whisper here.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perftel.announced_length import (  # noqa: F401 (re-exported: perftel.audio is where they were)
    announced_seconds,
    flac_streaminfo_seconds,
    mp3_header_seconds,
    truncation_tolerance,
    wav_data_seconds,
)
from perftel.errors import TranscriptionError
from perftel.files import AUDIO_SUFFIXES, CONTENT_TYPE_SUFFIXES, UNKNOWN_AUDIO_SUFFIX  # noqa: F401 (re-exported)

SAMPLE_RATE = 16_000
BLOCK_SECONDS = 30.0

# Audio file names (suffixes by content type) live in perftel.files, standard library only.


@dataclass(frozen=True)
class AudioInfo:
    """What :func:`scan` found. ``channels`` is what transcription should use: 2 only for a stereo file
    whose sides differ (``source_channels`` is the file's own count). ``announced_seconds`` is the length
    the header states (None when it states none)."""

    path: Path
    seconds: float
    channels: int
    source_channels: int
    format: str
    announced_seconds: float | None = None


@dataclass(frozen=True)
class Probe:
    """What :func:`probe` found: ``audio`` is True when FFmpeg opens the file and it has an audio stream
    it can decode (``format`` and ``codec`` then name them); else ``reason`` says why not."""

    path: Path
    audio: bool
    reason: str = ""
    format: str = ""
    codec: str = ""

    @property
    def claims_audio(self) -> bool:
        """The file's suffix is an audio one (a file that claims audio but is not is a failure, not noise)."""
        return self.path.suffix.lower() in AUDIO_SUFFIXES


def fail(path: Path, cause: str) -> TranscriptionError:
    """The TranscriptionError for ``path``: "Cannot transcribe <path>: <cause>" (returned, for ``raise``)."""
    return TranscriptionError(f"Cannot transcribe {path}: {cause}", path=str(path))


def _open(path: Path):  # noqa: ANN202 - av types
    """(container, audio stream, channel count). Raises TranscriptionError for a file with no usable audio."""
    import av

    container = av.open(str(path), metadata_errors="ignore")
    try:
        if not container.streams.audio:
            raise fail(path, f"no audio stream in this {container.format.name} file")
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            raise fail(
                path, f"unsupported audio codec in this {container.format.name} file (no FFmpeg decoder)"
            )
        channels = stream.codec_context.channels
    except BaseException:
        container.close()
        raise
    return container, stream, channels


def probe(path: str | os.PathLike[str]) -> Probe:
    """Whether a file is audio perftel can transcribe: FFmpeg (PyAV) opens it and finds a decodable audio
    stream. Reads only the file's start; never raises (the reason is in the result)."""
    import av

    path = Path(path)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):  # a FIFO or device would block the decoder
            return Probe(path, False, "not a regular file")
        with path.open("rb"):
            pass
    except OSError as exc:
        return Probe(path, False, f"unreadable ({exc.strerror or type(exc).__name__})")
    if status.st_size == 0:
        return Probe(path, False, "empty file (0 bytes)")
    try:
        container, stream, _ = _open(path)
    except TranscriptionError as exc:
        return Probe(path, False, "not audio: " + str(exc).split(": ", 1)[-1])
    except av.FFmpegError as exc:
        return Probe(
            path, False, f"not audio (FFmpeg cannot read it: {getattr(exc, 'strerror', None) or exc})"
        )
    except Exception as exc:  # noqa: BLE001 - whatever the decoder throws, the answer is "not audio"
        return Probe(path, False, f"not audio ({type(exc).__name__})")
    with container:
        return Probe(path, True, format=container.format.name, codec=stream.codec_context.name)


def find_audio_files(folder: str | os.PathLike[str]) -> tuple[list[Path], list[Probe]]:
    """The audio files of a folder (by :func:`probe`, sorted by name) and the files that are not, each with
    its reason. Hidden files, unfinished downloads (``.part``) and the ``.json``/``.txt`` transcripts
    perftel writes next to a recording are left out of both."""
    entries = sorted(p for p in Path(folder).iterdir() if not p.name.startswith(".") and not p.is_dir())
    stems = {p.stem for p in entries if p.suffix.lower() not in (".json", ".txt")}
    audio: list[Path] = []
    skipped: list[Probe] = []
    for path in entries:
        if path.suffix.lower() == ".part" or (
            path.suffix.lower() in (".json", ".txt") and path.stem in stems
        ):
            continue
        found = probe(path)
        if found.audio:
            audio.append(path)
        else:
            skipped.append(found)
    return audio, skipped


def _raw_blocks(path: Path, block_seconds: float, split_stereo: bool) -> Iterator[np.ndarray]:
    """(channels, samples) float32 blocks at 16 kHz, each ``block_seconds`` long except the last."""
    import av

    block = max(1, int(block_seconds * SAMPLE_RATE))
    container, stream, channels = _open(path)
    layout = "stereo" if split_stereo and channels == 2 else "mono"
    width = 2 if layout == "stereo" else 1
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    pending: list[np.ndarray] = []
    held = 0

    def take(final: bool) -> Iterator[np.ndarray]:
        nonlocal pending, held
        while held >= block or (final and held):
            joined = pending[0] if len(pending) == 1 else np.concatenate(pending, axis=1)
            size = min(block, joined.shape[1])
            yield np.ascontiguousarray(joined[:, :size])
            rest = joined[:, size:]
            pending, held = ([rest] if rest.shape[1] else []), rest.shape[1]

    with container:
        try:
            frames = container.decode(stream)
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    break
                except av.error.InvalidDataError:  # a damaged frame (faster-whisper skips them too)
                    continue
                frame.pts = None  # let the resampler keep its own time
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().reshape(width, -1))
                    held += pending[-1].shape[1]
                yield from take(False)
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(width, -1))
                held += pending[-1].shape[1]
            yield from take(True)
        except TranscriptionError:
            raise
        except av.FFmpegError as exc:
            raise fail(path, f"not decodable audio ({type(exc).__name__}: {exc})") from exc


def iter_blocks(
    path: str | os.PathLike[str], info: AudioInfo | None = None, *, block_seconds: float = BLOCK_SECONDS
) -> Iterator[np.ndarray]:
    """The file's audio as (channels, samples) float32 blocks at 16 kHz, ``block_seconds`` each.

    ``channels`` follows ``info`` (from :func:`scan`): two rows for a stereo file with distinct sides,
    else one (a same-signal stereo file is averaged). Raises TranscriptionError.
    """
    path = Path(path)
    info = info or scan(path, block_seconds=block_seconds)
    for raw in _raw_blocks(path, block_seconds, split_stereo=info.source_channels == 2):
        if raw.shape[0] == 2 and info.channels == 1:
            raw = raw.mean(axis=0, keepdims=True, dtype=np.float32)
        yield raw


def scan(
    path: str | os.PathLike[str],
    *,
    same_signal_correlation: float = 0.99,
    block_seconds: float = BLOCK_SECONDS,
) -> AudioInfo:
    """Check a file decodes whole and measure it, streaming. Raises TranscriptionError with the cause."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise fail(
            path, "file not found" if isinstance(exc, FileNotFoundError) else f"cannot read it ({exc})"
        ) from exc
    try:
        container, stream, source_channels = _open(path)
        with container:
            format_name = container.format.name
            announced = announced_seconds(path, container, stream)
        stats = _SideStats()
        samples = 0
        for block in _raw_blocks(path, block_seconds, split_stereo=source_channels == 2):
            samples += block.shape[1]
            if block.shape[0] == 2:
                stats.add(block[0], block[1])
    except TranscriptionError:
        raise
    except Exception as exc:  # av.FFmpegError and friends: not audio, unsupported codec, corrupt data
        cause = (
            "the file is empty (0 bytes)"
            if size == 0
            else f"not decodable audio ({type(exc).__name__}: {exc})"
        )
        raise fail(path, cause) from exc
    seconds = samples / SAMPLE_RATE
    if samples == 0:
        raise fail(path, "no audio samples could be decoded (truncated or corrupt file)")
    if announced and seconds < announced - truncation_tolerance(announced):
        raise fail(
            path,
            f"truncated file: its header declares {announced:.2f} s of audio but only {seconds:.2f} s decode",
        )
    channels = 2 if source_channels == 2 and not stats.same(same_signal_correlation) else 1
    return AudioInfo(
        path,
        round(seconds, 3),
        channels,
        source_channels,
        format_name,
        round(announced, 3) if announced else None,
    )


class _SideStats:
    """Running sums telling whether two sides carry the same signal (streaming Pearson correlation)."""

    def __init__(self) -> None:
        self.n = 0
        self.sa = self.sb = self.saa = self.sbb = self.sab = 0.0
        self.max_diff = 0.0

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        self.n += len(a64)
        self.sa += float(a64.sum())
        self.sb += float(b64.sum())
        self.saa += float(np.dot(a64, a64))
        self.sbb += float(np.dot(b64, b64))
        self.sab += float(np.dot(a64, b64))
        self.max_diff = max(self.max_diff, float(np.max(np.abs(a64 - b64), initial=0.0)))

    def same(self, threshold: float) -> bool:
        if self.n == 0 or self.max_diff <= 2 / 32768:
            return True
        cov = self.sab - self.sa * self.sb / self.n
        var = (self.saa - self.sa**2 / self.n) * (self.sbb - self.sb**2 / self.n)
        return var > 0 and cov / np.sqrt(var) > threshold


def same_signal(left: np.ndarray, right: np.ndarray, threshold: float) -> bool:
    """True when both sides carry the same signal (identical, or correlated above ``threshold``)."""
    if left.shape != right.shape:
        return False
    stats = _SideStats()
    stats.add(left, right)
    return stats.same(threshold)


def peak_dbfs(audio: np.ndarray) -> float:
    """The peak level of ``audio`` (float samples, full scale 1.0) in dBFS.

    0.0 at full scale, negative below it, ``-inf`` for digital silence.
    """
    peak = float(np.max(np.abs(audio), initial=0.0))
    return 20 * np.log10(peak) if peak > 0 else -np.inf


def level_gain(audio: np.ndarray, *, target_peak: float, max_gain_db: float) -> float:
    """The linear gain that brings the peak of ``audio`` to ``target_peak``, at most ``max_gain_db`` dB;
    1.0 for digital silence (peak under 1e-5: nothing to bring up)."""
    peak = float(np.max(np.abs(audio), initial=0.0))
    if peak < 1e-5:
        return 1.0
    return min(target_peak / peak, 10 ** (max_gain_db / 20))


def level(audio: np.ndarray, *, target_peak: float, max_gain_db: float) -> np.ndarray:
    """Scale a stretch of speech so its peak reaches ``target_peak``, with at most ``max_gain_db`` of gain
    (:func:`level_gain`); digital silence comes back as it is."""
    return scaled(audio, level_gain(audio, target_peak=target_peak, max_gain_db=max_gain_db))


def scaled(audio: np.ndarray, gain: float) -> np.ndarray:
    """``audio`` × ``gain`` as float32 (``audio`` itself for a gain of 1)."""
    return audio if gain == 1.0 else (audio * np.float32(gain)).astype(np.float32, copy=False)
