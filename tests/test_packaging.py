"""The built wheel, installed as a user installs it: a clean virtual environment, the real ``perftel``
entry point, a company with a little data and ``perftel report`` (issue 14: it used to fail with
"notebook … is not there" because the report notebook was not package data).

The clean environment has no pip and no copy of the dependencies: a ``.pth`` line appends this
interpreter's site-packages *after* its own (and ``JUPYTER_PATH`` names their data files), so ``perftel`` comes from the wheel and everything else
(httpx, papermill, …) from the test's environment. Lines of a ``.pth`` file only add folders; the
editable install's own ``.pth`` finder in those folders is not run, so the checkout cannot leak in.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from perftel_sandbox import start_sandbox

REPO = Path(__file__).resolve().parents[1]


def test_the_report_template_is_the_repository_notebook():
    """``perftel/templates/call_report.ipynb`` (package data) is a copy of ``notebooks/04_call_report.ipynb``."""
    source = REPO / "notebooks" / "04_call_report.ipynb"
    packaged = REPO / "perftel" / "templates" / "call_report.ipynb"
    assert packaged.read_bytes() == source.read_bytes(), (
        f"{packaged.relative_to(REPO)} differs from {source.relative_to(REPO)}: "
        f"cp {source.relative_to(REPO)} {packaged.relative_to(REPO)}"
    )


def _project_files() -> list[str]:
    """The files a fresh clone has (tracked, plus new ones git does not ignore), relative to the repo."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(name for name in listed.split("\0") if name and (REPO / name).is_file())


def _run(args: list[str | Path], *, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(  # cwd: not the checkout, whose perftel/ `python -c` would put first on sys.path
        [str(a) for a in args],
        cwd=Path(sys.prefix),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"{' '.join(map(str, args))}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the project's files (so no build/ or egg-info lands in the checkout)."""
    source, dist = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    for name in _project_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / name).read_bytes())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            dist,
            source,
        ],
        env=env,
    )
    (built,) = dist.glob("perftel-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A clean venv with the wheel installed; returns its bin folder and the environment to run it in."""
    venv = tmp_path_factory.mktemp("venv")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "venv", "--without-pip", venv], env=env)
    python = venv / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel],
        env=env,
    )
    purelib = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], env=env).stdout.strip()
    )
    (purelib / "zz_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    # the dependencies' data files (nbconvert's HTML templates) stay where they were installed, too
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return venv / "bin", env


def test_the_wheel_carries_every_file_of_the_package(wheel):
    """Everything under perftel/ in the repository (code, the report template, package data) is in the wheel;
    the sandbox is its own distribution (sandbox/pyproject.toml) and is not in it."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    wanted = [name for name in _project_files() if name.startswith("perftel/") and "__pycache__" not in name]
    assert "perftel/templates/call_report.ipynb" in wanted
    assert [name for name in wanted if name not in names] == []
    assert not [name for name in names if "sandbox/" in name or name.endswith(".wav")]
    assert wheel.stat().st_size <= 500_000  # issue 15: the product wheel carries no emulator and no media


def test_installed_perftel_is_the_wheel_and_runs_its_own_kernel(installed):
    bin_dir, env = installed
    code = (
        "import perftel; from jupyter_client import KernelManager; "
        "print(perftel.__file__); print(KernelManager(kernel_name='python3').format_kernel_cmd()[0])"
    )
    module, kernel = _run([bin_dir / "python", "-c", code], env=env).stdout.split()
    assert Path(module).is_relative_to(bin_dir.parent) and not Path(module).is_relative_to(REPO)
    assert Path(kernel) == bin_dir / "python"  # the report's kernel imports the wheel's perftel too


def test_installed_wheel_downloads_and_builds_a_report(installed, tmp_path):
    bin_dir, base_env = installed
    with start_sandbox("goto_connect", seed=5, calls_per_day=2) as sandbox:
        env = {
            **base_env,
            "PERFTEL_CONFIG_DIR": str(tmp_path / "config"),
            "PERFTEL_DATA_DIR": str(tmp_path / "data"),
            "PERFTEL_GOTO_CONNECT_BASE_URL": sandbox.base_url,
            "PERFTEL_COMPANY": "wheel-co",
            **{f"PERFTEL_GOTO_CONNECT_{k.upper()}": v for k, v in sandbox.credentials.items()},
        }
        _run([bin_dir / "perftel", "credentials", "set", "--provider", "goto_connect"], env=env)
        download = subprocess.run(
            [bin_dir / "perftel", "download", "--start", "2026-11-10", "--end", "2026-11-12"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
        )
    assert "calls listed" in download.stdout, download.stdout + download.stderr
    assert list((tmp_path / "data" / "wheel-co" / "calls" / "recordings").iterdir())
    output = tmp_path / "reports" / "wheel.html"
    report = _run(
        [bin_dir / "perftel", "report", "--start", "2026-11-10", "--end", "2026-11-12", "--output", output],
        env=env,
        timeout=900,
    )
    assert f"report: {output}" in report.stdout
    html = output.read_text("utf-8")
    assert "wheel-co" in html and "Plotly.newPlot" in html
    assert output.with_suffix(".ipynb").is_file()
