"""The length of audio a file's header announces, and how far a decode may fall short of it.

:func:`announced_seconds` reads what a container promises (WAV's ``data`` chunk, FLAC's STREAMINFO, an MP3's
Xing/Info or VBRI frame, the durations FFmpeg reads from MP4/MOV/3GP/CAF/AIFF/W64/Matroska headers);
:func:`perftel.audio.scan` calls a file that decodes shorter than that, by more than
:func:`truncation_tolerance`, truncated. Lengths are seconds. The file readers never raise: a header they cannot
read gives None ("no promise"). Standard library only (the PyAV container and stream are passed in).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

# Containers whose header states the length of the audio, so a shorter decode means a truncated file
# (see :func:`announced_seconds`). Others (raw AAC/ADTS, MP3 without a Xing/Info/VBRI frame, GSM, AMR,
# Ogg Opus/Vorbis, Matroska without a Duration) only let FFmpeg *estimate* it from the file's size or
# its last page, which is no promise and is never checked.
_HEADER_DURATION_FORMATS = {"wav", "aiff", "w64", "mov", "mp4", "m4a", "3gp", "caf"}


def truncation_tolerance(announced: float) -> float:
    """Seconds a decode may fall short of the announced length and still count as whole: codec priming,
    encoder padding and MP3 frame rounding are well under this (0.25 s, or 0.5 % of a long file)."""
    return max(0.25, 0.005 * announced)


def announced_seconds(path: Path, container, stream) -> float | None:  # noqa: ANN001 - av types
    """The length of audio a file's header promises, in seconds, or None when it promises none.

    - WAV: the ``data`` chunk size over the byte rate (:func:`wav_data_seconds`);
    - AIFF, W64, MP4/M4A/3GP/MOV (``mvhd``/``mdhd``), CAF (valid frames): the stream's duration;
    - FLAC and FLAC in Ogg: STREAMINFO's total samples (0 means unknown);
    - MP3: the frame count of a Xing/Info or VBRI frame (LAME and most encoders write one);
    - Matroska/WebM: the Segment's Duration element (live recordings often have none).

    FFmpeg's own guesses (from bit rate or the last Ogg page) are not promises and give None.
    """
    names = set(container.format.name.split(","))
    rate = stream.codec_context.sample_rate or 0
    if "wav" in names:
        return wav_data_seconds(path) or _stream_seconds(stream)
    if "caf" in names:
        return stream.frames / rate if stream.frames and rate else None
    if names & _HEADER_DURATION_FORMATS:
        return _stream_seconds(stream) or (container.duration / 1e6 if container.duration else None)
    if "flac" in names or ("ogg" in names and stream.codec_context.name == "flac"):
        return flac_streaminfo_seconds(path)
    if "mp3" in names:
        return mp3_header_seconds(path)
    if "matroska" in names or "webm" in names:
        return container.duration / 1e6 if container.duration and container.duration > 0 else None
    return None


def _stream_seconds(stream) -> float | None:  # noqa: ANN001
    return float(stream.duration * stream.time_base) if stream.duration and stream.duration > 0 else None


def flac_streaminfo_seconds(path: Path) -> float | None:
    """Seconds FLAC's STREAMINFO declares (total samples / sample rate); also inside an Ogg FLAC stream.
    None without a STREAMINFO or with total samples 0 ("unknown", e.g. a streamed encode). Source: the
    FLAC format, https://xiph.org/flac/format.html#metadata_block_streaminfo."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return None
    at = head.find(b"fLaC")
    if at < 0 or len(head) < at + 8 + 18 or head[at + 4] & 0x7F != 0:  # first block must be STREAMINFO
        return None
    bits = int.from_bytes(head[at + 8 + 10 : at + 8 + 18], "big")  # 20 bits rate, 3+5 bits, 36 bits samples
    rate, total = bits >> 44, bits & ((1 << 36) - 1)
    return total / rate if rate and total else None


_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits


def mp3_header_seconds(path: Path) -> float | None:
    """Seconds an MP3's Xing/Info or VBRI frame declares (frame count × samples per frame / rate).

    None when the first frame carries neither (then only the file size hints at the length). Sources:
    the Xing header layout (Gabriel Bouvigne, "MP3 info tag", gabriel.bouvigne.free.fr/mp3/) and
    Fraunhofer's VBRI header; frame header fields per ISO/IEC 11172-3.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(10)
            start = 0
            if head[:3] == b"ID3" and len(head) == 10:  # ID3v2: syncsafe size, then an optional footer
                start = 10 + ((head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9])
                start += 10 if head[5] & 0x10 else 0
            handle.seek(start)
            data = handle.read(4096)
    except OSError:
        return None
    at = next((i for i in range(len(data) - 4) if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0), None)
    if at is None:
        return None
    b1, b2, b3 = data[at + 1], data[at + 2], data[at + 3]
    version, layer, rate_index = (b1 >> 3) & 3, (b1 >> 1) & 3, (b2 >> 2) & 3
    if version == 1 or layer == 0 or rate_index == 3:
        return None
    rate = _MP3_RATES[version][rate_index]
    mono = (b3 >> 6) == 3
    per_frame = {3: 384, 2: 1152, 1: 1152 if version == 3 else 576}[layer]
    side = (17 if mono else 32) if version == 3 else (9 if mono else 17)
    frames = None
    xing = at + 4 + side
    if data[xing : xing + 4] in (b"Xing", b"Info") and len(data) >= xing + 12:
        flags = struct.unpack(">I", data[xing + 4 : xing + 8])[0]
        if flags & 1:
            frames = struct.unpack(">I", data[xing + 8 : xing + 12])[0]
    elif data[at + 36 : at + 40] == b"VBRI" and len(data) >= at + 36 + 18:
        frames = struct.unpack(">I", data[at + 36 + 14 : at + 36 + 18])[0]
    return frames * per_frame / rate if frames else None


def wav_data_seconds(path: Path) -> float | None:
    """Seconds a RIFF/WAVE header declares (None if not WAV or a streaming placeholder size)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            byte_rate = None
            while chunk := handle.read(8):
                if len(chunk) < 8:
                    return None
                ident, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if ident == b"fmt ":
                    byte_rate = struct.unpack("<I", handle.read(16)[8:12])[0]
                    handle.seek(size - 16 + (size & 1), os.SEEK_CUR)
                elif ident == b"data":
                    if not byte_rate or size in (0, 0xFFFFFFFF):
                        return None
                    return size / byte_rate
                else:
                    handle.seek(size + (size & 1), os.SEEK_CUR)
    except (OSError, struct.error):
        return None
    return None
