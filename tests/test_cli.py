"""The command line, run as a user runs it: a real `perftel` process against the sandbox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from perftel_sandbox import start_sandbox

PERFTEL = [sys.executable, "-m", "perftel.cli"]


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox("goto_connect", seed=5, calls_per_day=3) as sb:
        yield sb


@pytest.fixture
def env(tmp_path, sandbox):
    return {
        **os.environ,
        "PERFTEL_CONFIG_DIR": str(tmp_path / "config"),
        "PERFTEL_DATA_DIR": str(tmp_path / "data"),
        "PERFTEL_GOTO_CONNECT_BASE_URL": sandbox.base_url,
        "PERFTEL_COMPANY": "acme",
    }


def perftel(*args, env, check=True):
    proc = subprocess.run(
        [*PERFTEL, *args], env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def save_credentials(env, sandbox):
    secrets = {f"PERFTEL_GOTO_CONNECT_{k.upper()}": v for k, v in sandbox.credentials.items()}
    return perftel("credentials", "set", "--provider", "GOTO_CONNECT", env={**env, **secrets})


def test_credentials_set_tests_at_once_and_never_prints_secrets(env, sandbox, tmp_path):
    out = save_credentials(env, sandbox)
    assert "ok: Connected to GoTo Connect" in out.stdout
    listed = perftel("credentials", "list", env=env).stdout
    assert "acme" in listed and "goto_connect" in listed and "client_secret" in listed
    everything = out.stdout + out.stderr + listed + perftel("test-connection", env=env).stdout
    for secret in (sandbox.credentials["client_secret"], sandbox.credentials["refresh_token"]):
        assert secret not in everything
        for path in (tmp_path / "config").rglob("*"):
            assert not path.is_file() or secret.encode() not in path.read_bytes()


def test_wrong_secret_fails_clearly_and_saves_nothing(env, sandbox, tmp_path):
    bad = {f"PERFTEL_GOTO_CONNECT_{k.upper()}": v for k, v in sandbox.credentials.items()} | {
        "PERFTEL_GOTO_CONNECT_CLIENT_SECRET": "nope-wrong"
    }
    out = perftel("credentials", "set", env={**env, **bad}, check=False)
    assert (
        out.returncode == 1
        and "failed: GoTo Connect" in out.stdout
        and "Nothing was saved" in out.stdout
        and "nope-wrong" not in out.stdout + out.stderr
    )
    assert not list((tmp_path / "config").rglob("*.enc"))
    assert "No credentials saved." in perftel("credentials", "list", env=env).stdout


def test_saved_credentials_are_replaced_only_with_replace(env, sandbox, tmp_path):
    save_credentials(env, sandbox)
    (saved,) = (tmp_path / "config").rglob("*.enc")
    before = saved.read_bytes()
    secrets = {f"PERFTEL_GOTO_CONNECT_{k.upper()}": v for k, v in sandbox.credentials.items()}
    out = perftel("credentials", "set", env={**env, **secrets}, check=False)
    assert out.returncode == 2 and "already has saved GoTo Connect credentials" in out.stderr
    assert "--replace" in out.stderr and saved.read_bytes() == before
    wrong = {**secrets, "PERFTEL_GOTO_CONNECT_CLIENT_SECRET": "nope-wrong"}
    out = perftel("credentials", "set", "--replace", env={**env, **wrong}, check=False)
    assert out.returncode == 1 and saved.read_bytes() == before  # a failed replace keeps the working ones
    out = perftel("credentials", "set", "--replace", env={**env, **secrets})
    assert "ok: Connected to GoTo Connect" in out.stdout


def test_no_test_saves_without_contacting_the_provider(env, sandbox, tmp_path):
    secrets = {f"PERFTEL_GOTO_CONNECT_{k.upper()}": v for k, v in sandbox.credentials.items()}
    before = len(sandbox.requests)
    out = perftel("credentials", "set", "--no-test", env={**env, **secrets})
    assert (
        out.stdout.startswith("saved: ")
        and "untested" in out.stdout
        and "perftel test-connection" in out.stdout
    )
    assert len(sandbox.requests) == before and list((tmp_path / "config").rglob("*.enc"))
    for secret in (sandbox.credentials["client_secret"], sandbox.credentials["refresh_token"]):
        assert secret not in out.stdout + out.stderr


def test_missing_fields_are_named_and_nothing_is_saved(env, tmp_path):
    out = perftel("credentials", "set", "--field", "client_id=abc", env=env, check=False)
    assert out.returncode == 2 and "client_secret" in out.stderr and "PERFTEL_GOTO_CONNECT_" in out.stderr
    assert not list((tmp_path / "config").rglob("*.enc"))


def test_one_time_consent_reads_the_redirected_url_then_tests_and_saves(env, sandbox, tmp_path):
    """No refresh token: the link is printed, the redirected URL read from stdin, then test, then save."""
    import httpx

    client = {
        "PERFTEL_GOTO_CONNECT_CLIENT_ID": sandbox.credentials["client_id"],
        "PERFTEL_GOTO_CONNECT_CLIENT_SECRET": sandbox.credentials["client_secret"],
        "PERFTEL_GOTO_CONNECT_REDIRECT_URI": sandbox.redirect_uri,
    }
    proc = subprocess.Popen(
        [*PERFTEL, "credentials", "set"],
        env={**env, **client},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "One-time consent" in proc.stdout.readline()
        link = proc.stdout.readline().strip()
        assert "/oauth/authorize?" in link and not list((tmp_path / "config").rglob("*.enc"))
        redirected = httpx.get(link, follow_redirects=False, timeout=10).headers["location"]
        stdout, stderr = proc.communicate(redirected + "\n", timeout=120)
    finally:
        proc.kill()
    code = httpx.URL(redirected).params["code"]
    assert proc.returncode == 0 and "ok: Connected to GoTo Connect" in stdout, stdout + stderr
    assert code not in stdout + stderr and sandbox.credentials["client_secret"] not in stdout + stderr
    assert "tokens: yes" in perftel("credentials", "list", env=env).stdout
    assert perftel("test-connection", env=env).stdout.startswith("ok: ")


def test_twilio_credentials_are_tested_then_saved(env, tmp_path):
    with start_sandbox("twilio") as twilio:
        env = {**env, "PERFTEL_TWILIO_BASE_URL": twilio.base_url, "PERFTEL_PROVIDER": "twilio"}
        secrets = {f"PERFTEL_TWILIO_{k.upper()}": v for k, v in twilio.credentials.items()}
        wrong = {**secrets, "PERFTEL_TWILIO_AUTH_TOKEN": "nope-wrong-token"}
        out = perftel("credentials", "set", env={**env, **wrong}, check=False)
        assert out.returncode == 1 and "failed: Twilio" in out.stdout and "nope-wrong-token" not in out.stdout
        assert not list((tmp_path / "config").rglob("*.enc"))
        out = perftel("credentials", "set", env={**env, **secrets})
        assert out.stdout.startswith("ok: Connected to Twilio")
        assert twilio.credentials["auth_token"] not in out.stdout + out.stderr
        assert perftel("test-connection", env=env).stdout.startswith("ok: ")


def test_unknown_provider_lists_valid_names(env):
    out = perftel("test-connection", "--provider", "skype", env=env, check=False)
    assert out.returncode == 2 and "Valid providers:" in out.stderr and "goto_connect" in out.stderr


def test_missing_credentials_say_what_to_do(env):
    out = perftel("test-connection", "--company", "nobody", env=env, check=False)
    assert out.returncode == 1 and "perftel credentials set" in out.stdout


def test_download_days_then_transcribe_folder_keeps_going(env, sandbox, tmp_path):
    save_credentials(env, sandbox)
    out = perftel("download", "--days", "3", env=env, check=False)
    assert "calls listed" in out.stdout and "downloaded" in out.stdout
    recordings = tmp_path / "data" / "acme" / "calls" / "recordings"
    files = sorted(recordings.iterdir())
    assert files and not list((tmp_path / "data" / "acme" / "calls" / "transcriptions").iterdir())
    folder = tmp_path / "folder" / "recordings"
    folder.mkdir(parents=True)
    shutil.copy(files[0], folder)
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEjunk")
    out = perftel("transcribe", "--dir", str(folder), "--model", "base", env=env, check=False)
    assert out.returncode == 1
    assert "transcribed 1, already done 0, failed 1" in out.stdout and "broken.wav" in out.stdout
    result = json.loads((folder.parent / "transcriptions" / f"{files[0].stem}.json").read_text())
    assert result["segments"] and result["model"] == "base"
    again = perftel("transcribe", "--dir", str(folder), "--model", "tiny.en", env=env, check=False)
    assert "already done 1" in again.stdout


@pytest.mark.model
def test_demo_runs_the_whole_pipeline(tmp_path):
    env = {**os.environ, "PERFTEL_CONFIG_DIR": str(tmp_path / "config")}
    out = perftel(
        "demo",
        "--days",
        "1",
        "--model",
        "tiny.en",
        "--data-dir",
        str(tmp_path / "data"),
        env=env,
        check=False,
    )
    assert "sandbox listening on http://127.0.0.1:" in out.stdout
    assert "calls listed" in out.stdout and "transcriptions:" in out.stdout
    assert (tmp_path / "data" / "demo" / "calls" / "metadata").is_dir()
    assert out.returncode in (0, 1)  # 1 when a sandbox recording is still processing: reported, not lost


def test_killed_run_resumes_without_duplicates_or_partials(env, sandbox, tmp_path):
    """SIGKILL a download mid-way, rerun: the same files as an uninterrupted run, nothing half-written."""
    import signal
    import time

    save_credentials(env, sandbox)
    clean_env = {**env, "PERFTEL_DATA_DIR": str(tmp_path / "clean")}
    perftel("download", "--start", "2026-11-10", "--end", "2026-11-16", env=clean_env, check=False)
    clean = sorted(p.name for p in (tmp_path / "clean" / "acme" / "calls" / "recordings").iterdir())
    assert len(clean) >= 4

    sandbox.faults.slow_seconds = 0.15
    try:
        proc = subprocess.Popen(
            [*PERFTEL, "download", "--start", "2026-11-10", "--end", "2026-11-16"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        recordings = tmp_path / "data" / "acme" / "calls" / "recordings"
        deadline = time.time() + 120
        while (
            time.time() < deadline and len(list(recordings.glob("*.wav")) if recordings.is_dir() else []) < 2
        ):
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        sandbox.faults.slow_seconds = 0
    interrupted = sorted(p.name for p in recordings.iterdir() if not p.name.startswith("."))
    assert 2 <= len(interrupted) < len(clean)
    out = perftel("download", "--start", "2026-11-10", "--end", "2026-11-16", env=env, check=False)
    assert f"{len(interrupted)} already on disk" in out.stdout
    assert sorted(p.name for p in recordings.iterdir() if not p.name.startswith(".")) == clean
    for name in clean:
        assert (recordings / name).read_bytes() == (
            tmp_path / "clean" / "acme" / "calls" / "recordings" / name
        ).read_bytes()


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True, timeout=120)


def test_transcribe_language_is_checked_before_any_work(tmp_path):
    """Exit 2 at once, with the valid codes, for a language Whisper does not know (no model is loaded)."""
    for spelling in ("klingon", "pt-BR,xx"):
        out = perftel(
            "transcribe", "--dir", str(tmp_path), "--language", spelling, env=os.environ, check=False
        )
        assert out.returncode == 2 and "Unknown language" in out.stderr and "pt, ro, ru" in out.stderr


def test_transcribe_dir_with_nothing_audio_names_what_it_skipped(tmp_path):
    (tmp_path / "notes.txt").write_text("not a call\n")
    (tmp_path / "call.pdf").write_bytes(b"%PDF-1.4\n")
    out = perftel("transcribe", "--dir", str(tmp_path), env=os.environ, check=False)
    assert out.returncode == 0 and "No audio files" in out.stdout
    assert "notes.txt: not audio" in out.stdout and "call.pdf: not audio" in out.stdout
    (tmp_path / "empty.wav").write_bytes(b"")  # named as audio: a failure, not noise
    out = perftel("transcribe", "--dir", str(tmp_path), env=os.environ, check=False)
    assert out.returncode == 1 and "empty.wav: empty file" in out.stdout


@pytest.mark.model
def test_transcribe_dir_takes_every_codec_the_decoder_opens(tmp_path, audio_dir):
    """AMR, GSM, 3GP, CAF, WebM and an MP3 named .wav are transcribed; the rest is named with its reason;
    a Spanish call under "pt-BR, en-US" is transcribed in Spanish and reported as outside the list."""
    from tests.test_audio import encode_amr

    folder = tmp_path / "recordings"
    folder.mkdir()
    speech = audio_dir / "pt_fleurs_002.ogg"  # 8.4 s of Brazilian Portuguese
    encode_amr(speech, folder / "a.amr")
    _ffmpeg("-i", str(speech), "-ar", "8000", "-ac", "1", "-c:a", "libgsm", str(folder / "b.gsm"))
    _ffmpeg("-i", str(speech), "-ar", "8000", "-ac", "1", "-c:a", "aac", str(folder / "c.3gp"))
    _ffmpeg("-i", str(speech), "-c:a", "pcm_s16le", str(folder / "d.caf"))
    _ffmpeg("-i", str(speech), "-c:a", "libopus", str(folder / "e.webm"))
    _ffmpeg("-i", str(speech), "-c:a", "libmp3lame", "-f", "mp3", str(folder / "f-really-mp3.wav"))
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            "es",
            "-w",
            str(folder / "g-spanish.wav"),
            "Buenos días, le llamo del banco para confirmar su cita del próximo martes.",
        ],
        check=True,
    )
    (folder / "text.wav").write_text("a note saved with the wrong name\n")
    (folder / "readme.md").write_text("# exported calls\n")
    out = perftel(
        "transcribe",
        "--dir",
        str(folder),
        "--model",
        "base",
        "--language",
        "pt-BR, en-US",
        env=os.environ,
        check=False,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "transcribed 7, already done 0, failed 1" in out.stdout
    assert "text.wav: not audio" in out.stdout and "readme.md: not audio" in out.stdout
    assert "outside the language list pt,en" in out.stdout and "g-spanish.wav (es)" in out.stdout
    results = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "transcriptions").glob("*.json")}
    assert sorted(results) == ["a", "b", "c", "d", "e", "f-really-mp3", "g-spanish"]
    for stem, result in results.items():
        spanish = stem == "g-spanish"
        assert result["language"] == ("es" if spanish else "pt"), stem
        assert result["language_outside_list"] is spanish, stem
        assert result["segments"], stem


# -- progress: bars on a terminal, plain lines in a log, nothing with --quiet ---------------------
def test_download_to_a_pipe_writes_one_plain_line_per_stage(env, sandbox):
    import re

    save_credentials(env, sandbox)
    out = perftel("download", "--start", "2026-11-10", "--end", "2026-11-12", env=env, check=False)
    assert "\r" not in out.stderr and "\x1b" not in out.stderr
    listing = re.findall(r"^listing calls: (\d+) calls in \d+\.\d s$", out.stderr, re.M)
    downloads = re.findall(r"^downloading: (\d+)/(\d+) recordings in \d+\.\d s$", out.stderr, re.M)
    assert len(listing) == 1 and len(downloads) == 1, out.stderr
    assert re.search(rf"calls listed:\s+{listing[0]}\n", out.stdout)
    assert int(downloads[0][0]) == int(downloads[0][1]) > 0
    assert "transcribing" not in out.stderr  # download only


def test_quiet_prints_no_progress_only_the_summary(env, sandbox):
    save_credentials(env, sandbox)
    out = perftel("download", "--quiet", "--start", "2026-11-10", "--end", "2026-11-12", env=env, check=False)
    assert "calls listed" in out.stdout
    assert "listing calls" not in out.stderr and "downloading" not in out.stderr and "\r" not in out.stderr


def test_a_terminal_still_gets_bars(env, sandbox):
    """stderr on a pseudo-terminal: tqdm bars (redrawn with \\r), with per-stage units, no 's/ items'."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    save_credentials(env, sandbox)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # a 100-column terminal
    proc = subprocess.Popen(
        [*PERFTEL, "download", "--start", "2026-11-10", "--end", "2026-11-12"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 120)
            if not ready:
                break
            try:
                data = os.read(leader, 4096)
            except OSError:  # EIO: the process closed its end
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
        stdout = proc.communicate(timeout=120)[0].decode()
    screen = b"".join(chunks).decode(errors="replace")
    assert "calls listed" in stdout
    assert "\r" in screen and "listing calls" in screen and "downloading" in screen
    assert " calls [" in screen and " recordings [" in screen and "%|" in screen
    assert "items" not in screen


@pytest.mark.parametrize(
    ("option", "value", "choices"),
    [("--model", "huge-v9", "large-v3"), ("--device", "tpu", "cuda"), ("--compute-type", "int3", "float16")],
)
def test_bad_whisper_settings_are_refused_before_any_work(tmp_path, capsys, option, value, choices):
    from perftel import cli

    data = tmp_path / "data"
    code = cli.main(["run", "--company", "acme", "--days", "1", "--data-dir", str(data), option, value])
    err = capsys.readouterr().err
    assert code == 2 and repr(value) in err and choices in err, err
    assert not data.exists()  # no login, no listing, nothing written
