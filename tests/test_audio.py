"""Streaming decode: a long file is read in blocks, never whole."""

from __future__ import annotations

import os
import subprocess
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest

from perftel import audio
from perftel.errors import TranscriptionError


def write_long_wav(path: Path, minutes: float, rate: int = 8_000, channels: int = 1) -> Path:
    """A quiet noise floor written a minute at a time (the test itself never holds the whole file)."""
    rng = np.random.default_rng(3)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        for _ in range(int(minutes)):
            noise = rng.normal(0, 3, (60 * rate, channels))
            out.writeframes(noise.astype("<i2").tobytes())
    return path


def test_blocks_are_bounded_and_cover_the_file(tmp_path: Path) -> None:
    path = write_long_wav(tmp_path / "long.wav", 10)
    block = audio.BLOCK_SECONDS * audio.SAMPLE_RATE
    info = audio.scan(path)
    assert (info.seconds, info.channels, info.source_channels) == (600.0, 1, 1)
    tracemalloc.start()
    try:
        sizes = [b.shape for b in audio.iter_blocks(path, info)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(rows == 1 and n <= block for rows, n in sizes)
    assert sum(n for _, n in sizes) == 600 * audio.SAMPLE_RATE
    whole_file = 600 * audio.SAMPLE_RATE * 4  # 38 MB of float32: what a whole-file decode would hold
    assert peak < 4 * block * 4 < whole_file / 4, f"decoder held {peak / 1e6:.1f} MB"


def test_stereo_blocks_split_or_merge_sides(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    left = rng.normal(0, 0.1, 16_000 * 3)
    for name, right in (("distinct", rng.normal(0, 0.1, left.shape)), ("same", left)):
        path = tmp_path / f"{name}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(16_000)
            out.writeframes((np.stack([left, right], 1) * 32767).astype("<i2").tobytes())
        info = audio.scan(path, block_seconds=1.0)
        blocks = list(audio.iter_blocks(path, info, block_seconds=1.0))
        assert info.source_channels == 2 and info.channels == (2 if name == "distinct" else 1)
        assert [b.shape for b in blocks] == [(info.channels, 16_000)] * 3


def test_scan_names_file_and_cause(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(TranscriptionError, match="empty"):
        audio.scan(empty)
    with pytest.raises(TranscriptionError, match="not found"):
        audio.scan(tmp_path / "missing.wav")


def test_level_brings_quiet_speech_up_within_the_gain_cap() -> None:
    quiet = np.full(100, 0.001, dtype=np.float32)
    assert audio.level(quiet, target_peak=0.9, max_gain_db=40) == pytest.approx(np.full(100, 0.1), rel=1e-3)
    assert audio.level(quiet * 100, target_peak=0.9, max_gain_db=40).max() == pytest.approx(0.9)
    assert not audio.level(np.zeros(10, np.float32), target_peak=0.9, max_gain_db=40).any()


# -- formats: what the decoder opens is audio, whatever its name (issue 14, item 4) ---------------------

SPEECH = "pt_fleurs_000.ogg"  # 17.76 s of real speech (../shared/audio/MANIFEST.tsv)
SPEECH_SECONDS = 17.76

# name → ffmpeg output options; every kind a contact centre's exports come in that this ffmpeg can write
ENCODINGS = {
    "vbr.mp3": ["-c:a", "libmp3lame", "-q:a", "4"],
    "cbr.mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "tel8k.mp3": ["-ar", "8000", "-ac", "1", "-c:a", "libmp3lame", "-q:a", "6"],  # MPEG-2.5: the phone kind
    "wb16k.mp3": ["-ar", "16000", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "32k"],  # MPEG-2
    "tagged.mp3": ["-c:a", "libmp3lame", "-q:a", "4", "-metadata", "title=" + "x" * 3000],  # big ID3v2 tag
    "noxing.mp3": ["-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0"],  # announces nothing
    "fast.m4a": ["-c:a", "aac", "-b:a", "48k", "-movflags", "+faststart"],
    "alac.m4a": ["-c:a", "alac", "-movflags", "+faststart"],
    "tail.m4a": ["-c:a", "aac", "-b:a", "48k"],  # moov at the end, ffmpeg's default
    "call.3gp": ["-ar", "8000", "-ac", "1", "-c:a", "aac", "-movflags", "+faststart"],
    "whole.flac": ["-c:a", "flac"],
    "opus.ogg": ["-c:a", "libopus"],
    "vorbis.ogg": ["-c:a", "libvorbis"],
    "opus.webm": ["-c:a", "libopus"],
    "pcm.caf": ["-c:a", "pcm_s16le"],
    "pcm.aiff": ["-c:a", "pcm_s16be"],
    "ulaw.wav": ["-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw"],
    "gsm.gsm": ["-ar", "8000", "-ac", "1", "-c:a", "libgsm"],
    "gsm_ms.wav": ["-ar", "8000", "-ac", "1", "-c:a", "libgsm_ms"],
    "adts.aac": ["-c:a", "aac", "-b:a", "48k"],
    "speex.ogg": ["-ar", "16000", "-ac", "1", "-c:a", "libspeex"],
}
# the ones whose header announces the length, and so must fail when cut
ANNOUNCING = ["vbr.mp3", "cbr.mp3", "tel8k.mp3", "wb16k.mp3", "tagged.mp3", "fast.m4a", "alac.m4a", "call.3gp",
              "whole.flac", "opus.webm", "pcm.caf", "pcm.aiff", "ulaw.wav", "gsm_ms.wav"]  # fmt: skip
# FFmpeg can only estimate these from the file's size or its last page: a cut one is a shorter, whole file
SILENT = ["noxing.mp3", "adts.aac", "gsm.gsm", "opus.ogg", "vorbis.ogg", "live.webm", "amr.amr"]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True, timeout=120)


def encode_amr(source: Path, dest: Path) -> Path:
    """AMR-NB through PyAV's own FFmpeg (it carries libopencore_amrnb; the system ffmpeg may not)."""
    import av

    with av.open(str(source)) as inp, av.open(str(dest), "w", format="amr") as out:
        stream = out.add_stream("libopencore_amrnb", rate=8000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
        for frame in [*inp.decode(audio=0), None]:
            if frame is not None:
                frame.pts = None
            for ready in resampler.resample(frame):
                for packet in stream.encode(ready):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dest


@pytest.fixture(scope="module")
def encoded(audio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same 17.76 s of speech in every encoding above (plus a streamed WebM and AMR-NB)."""
    folder = tmp_path_factory.mktemp("encoded")
    source = audio_dir / SPEECH
    files = {}
    for name, options in ENCODINGS.items():
        ffmpeg("-i", str(source), *options, str(folder / name))
        files[name] = folder / name
    with (folder / "live.webm").open(
        "wb"
    ) as out:  # written to a pipe: no Duration, like a browser's recording
        subprocess.run(
            ["ffmpeg", "-v", "error", "-nostdin", "-i", str(source), "-c:a", "libopus", "-f", "webm", "-"],
            stdout=out,
            check=True,
            timeout=120,
        )
    files["live.webm"] = folder / "live.webm"
    files["amr.amr"] = encode_amr(source, folder / "amr.amr")
    return files


def cut(path: Path, fraction: float, dest: Path) -> Path:
    """The file's first ``fraction`` of bytes: a download or copy that stopped early."""
    data = path.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def test_every_kind_probes_as_audio_and_scans_whole(encoded: dict[str, Path]) -> None:
    for name, path in encoded.items():
        found = audio.probe(path)
        assert found.audio and found.reason == "", (name, found)
        info = audio.scan(path)
        assert info.seconds == pytest.approx(SPEECH_SECONDS, abs=0.1), name
        assert (info.announced_seconds is not None) == (name in [*ANNOUNCING, "tail.m4a"]), (name, info)
        if info.announced_seconds:
            assert info.announced_seconds == pytest.approx(SPEECH_SECONDS, abs=0.2), name


def test_probe_goes_by_content_not_by_name(encoded: dict[str, Path], tmp_path: Path) -> None:
    named = {
        "mp3-named.wav": encoded["vbr.mp3"].read_bytes(),
        "amr-without-suffix": encoded["amr.amr"].read_bytes(),
        "call.recording": encoded["fast.m4a"].read_bytes(),
        "RECORDING.GSM": encoded["gsm.gsm"].read_bytes(),
    }
    for name, data in named.items():
        (tmp_path / name).write_bytes(data)
        assert audio.probe(tmp_path / name).audio, name
    assert audio.probe(tmp_path / "mp3-named.wav").format == "mp3"
    assert audio.probe(tmp_path / "amr-without-suffix").codec in ("amrnb", "libopencore_amrnb")


def test_probe_says_why_a_file_is_not_audio(tmp_path: Path) -> None:
    (tmp_path / "text.wav").write_text("RIFF? no, a note someone saved with the wrong name\n")
    (tmp_path / "empty.mp3").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("call list\n")
    (tmp_path / "broken.wav").write_bytes(b"RIFF....WAVEjunk")
    ffmpeg("-f", "lavfi", "-i", "testsrc=d=1", "-c:v", "mpeg4", str(tmp_path / "video.mp4"))
    (tmp_path / "dangling.wav").symlink_to(tmp_path / "gone.wav")
    os.mkfifo(tmp_path / "pipe.wav")  # opening it for decoding would wait forever for a writer
    expected = {
        "text.wav": "not audio", "empty.mp3": "empty file", "notes.txt": "not audio", "broken.wav": "not audio",
        "video.mp4": "no audio stream", "dangling.wav": "unreadable", "pipe.wav": "not a regular file",
    }  # fmt: skip
    for name, reason in expected.items():
        found = audio.probe(tmp_path / name)
        assert not found.audio and reason in found.reason, (name, found)
    assert (
        audio.probe(tmp_path / "text.wav").claims_audio
        and not audio.probe(tmp_path / "notes.txt").claims_audio
    )


def test_find_audio_files_lists_audio_and_skipped_with_reasons(
    encoded: dict[str, Path], tmp_path: Path
) -> None:
    for name in ("amr.amr", "gsm.gsm", "call.3gp", "pcm.caf", "opus.webm"):
        (tmp_path / name).write_bytes(encoded[name].read_bytes())
    (tmp_path / "mp3-named.wav").write_bytes(encoded["vbr.mp3"].read_bytes())
    (tmp_path / "amr.json").write_text("{}")  # a transcript perftel wrote beside its recording: not listed
    (tmp_path / "amr.txt").write_text("olá\n")
    (tmp_path / ".hidden.wav").write_bytes(b"")
    (tmp_path / "readme.md").write_text("# calls\n")
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    found, skipped = audio.find_audio_files(tmp_path)
    assert [p.name for p in found] == [
        "amr.amr",
        "call.3gp",
        "gsm.gsm",
        "mp3-named.wav",
        "opus.webm",
        "pcm.caf",
    ]
    assert {p.path.name: p.reason.split(" ")[0] for p in skipped} == {
        "empty.wav": "empty",
        "readme.md": "not",
    }


def test_one_home_for_audio_suffixes() -> None:
    from perftel.http import client

    assert client.AUDIO_EXTENSIONS is audio.CONTENT_TYPE_SUFFIXES
    assert set(audio.CONTENT_TYPE_SUFFIXES.values()) <= audio.AUDIO_SUFFIXES
    assert {".amr", ".3gp", ".caf", ".gsm", ".webm", ".audio"} <= audio.AUDIO_SUFFIXES


# -- truncated files: a header's promise checked against what decodes (issue 14, item 5) ----------------


@pytest.mark.parametrize("name", ANNOUNCING)
@pytest.mark.parametrize("fraction", [0.05, 0.4, 0.8, 0.95])
def test_a_cut_file_that_announces_its_length_is_truncated(
    encoded: dict[str, Path], tmp_path: Path, name: str, fraction: float
) -> None:
    path = cut(encoded[name], fraction, tmp_path / f"cut-{name}")
    with pytest.raises(TranscriptionError, match=r"truncated file: its header declares 17\.\d\d s") as caught:
        audio.scan(path)
    assert str(path) in str(caught.value)


def test_the_issue_example_vbr_mp3_announcing_11_45_s(audio_dir: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp3"
    ffmpeg("-i", str(audio_dir / "en_fleurs_002.ogg"), "-c:a", "libmp3lame", "-q:a", "2", str(whole))
    assert audio.mp3_header_seconds(whole) == pytest.approx(11.46, abs=0.1)
    assert audio.scan(whole).seconds == pytest.approx(11.46, abs=0.05)
    short = cut(whole, 0.08, tmp_path / "short.mp3")
    with pytest.raises(TranscriptionError, match=r"declares 11\.\d\d s of audio but only 0\.\d\d s decode"):
        audio.scan(short)


@pytest.mark.parametrize("name", SILENT)
def test_a_cut_file_that_announces_nothing_is_taken_as_it_is(
    encoded: dict[str, Path], tmp_path: Path, name: str
) -> None:
    for fraction in (0.4, 0.8):
        info = audio.scan(cut(encoded[name], fraction, tmp_path / f"{fraction}-{name}"))
        assert info.announced_seconds is None
        assert 0.25 * SPEECH_SECONDS < info.seconds < 0.9 * SPEECH_SECONDS


def test_an_mp4_cut_before_its_index_is_undecodable(encoded: dict[str, Path], tmp_path: Path) -> None:
    for fraction in (0.3, 0.9):  # ffmpeg writes the moov index last: without it nothing can be read
        with pytest.raises(TranscriptionError, match="not decodable audio"):
            audio.scan(cut(encoded["tail.m4a"], fraction, tmp_path / f"{fraction}.m4a"))


def test_mp3_header_reading_on_hand_made_frames(tmp_path: Path) -> None:
    """Xing and VBRI frames built byte by byte (the VBRI kind is what Fraunhofer encoders write)."""
    mpeg1_stereo = bytes([0xFF, 0xFB, 0x90, 0x00])  # MPEG-1 layer III, 44.1 kHz, stereo: Xing at 4 + 32
    xing = mpeg1_stereo + bytes(32) + b"Xing" + (1).to_bytes(4, "big") + (430).to_bytes(4, "big") + bytes(400)
    (tmp_path / "xing.mp3").write_bytes(xing)
    assert audio.mp3_header_seconds(tmp_path / "xing.mp3") == pytest.approx(430 * 1152 / 44100)
    no_count = (
        mpeg1_stereo + bytes(32) + b"Xing" + (0).to_bytes(4, "big") + bytes(400)
    )  # flags: no frame count
    (tmp_path / "nocount.mp3").write_bytes(no_count)
    assert audio.mp3_header_seconds(tmp_path / "nocount.mp3") is None
    mpeg2_mono = bytes([0xFF, 0xF3, 0x88, 0xC0])  # MPEG-2 layer III, 16 kHz, mono: Xing at 4 + 9
    info = mpeg2_mono + bytes(9) + b"Info" + (3).to_bytes(4, "big") + (1000).to_bytes(4, "big") + bytes(400)
    (tmp_path / "info.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x05" + b"tags!" + info)
    assert audio.mp3_header_seconds(tmp_path / "info.mp3") == pytest.approx(1000 * 576 / 16000)
    vbri = mpeg1_stereo + bytes(32) + b"VBRI" + bytes(10) + (250).to_bytes(4, "big") + bytes(400)
    (tmp_path / "vbri.mp3").write_bytes(vbri)
    assert audio.mp3_header_seconds(tmp_path / "vbri.mp3") == pytest.approx(250 * 1152 / 44100)
    (tmp_path / "plain.mp3").write_bytes(mpeg1_stereo + bytes(500))
    assert audio.mp3_header_seconds(tmp_path / "plain.mp3") is None


def test_flac_streaminfo_total_samples(encoded: dict[str, Path], tmp_path: Path) -> None:
    assert audio.flac_streaminfo_seconds(encoded["whole.flac"]) == pytest.approx(SPEECH_SECONDS, abs=0.01)
    data = bytearray(encoded["whole.flac"].read_bytes())
    at = data.find(b"fLaC") + 8
    data[at + 13 : at + 18] = bytes([data[at + 13] & 0xF0, 0, 0, 0, 0])  # total samples 0: "unknown"
    (tmp_path / "unknown.flac").write_bytes(data)
    assert audio.flac_streaminfo_seconds(tmp_path / "unknown.flac") is None
    assert audio.scan(cut(tmp_path / "unknown.flac", 0.5, tmp_path / "half.flac")).announced_seconds is None
