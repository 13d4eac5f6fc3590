"""The built wheel installs with binary packages only, and runs.

Issue 17: ``pip install "graph-olap[server]"`` must never compile anything (Ryugraph,
which has no wheel for every Python, is in an extra of its own). This builds the wheel
from the working tree (cached by a hash of the sources in ``.venv/tools/wheel-check``),
then:

* for each Python of the supported range found on this machine (on PATH, in /usr/bin or
  a pyenv version), installs ``wheel[server,notebook]`` with
  ``--only-binary=:all:`` into a fresh virtual environment and runs a short workflow
  (``smoke_workflow.py``: server, mapping, instance, query, terminate);
* for every supported version, found here or not, resolves the same install with
  ``pip download --only-binary=:all: --python-version X.Y``: pip picks the wheels that
  version would install without running it, and fails if any package would need a build.

What ran live on a machine is printed in the test's output (``-rA`` shows it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph_olap_server.runner import free_port

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv" / "tools" / "wheel-check"
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
EXTRAS = "server,notebook"
SMOKE = Path(__file__).with_name("smoke_workflow.py")

pytestmark = [pytest.mark.socket, pytest.mark.timeout(600)]


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([ROOT / "pyproject.toml", ROOT / "README.md", *(ROOT / "src").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _run(cmd: list[str], what: str, timeout: float = 300) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (
        f"{what} failed (exit {done.returncode}): {' '.join(cmd)}\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def wheel() -> Path:
    """The wheel of the working tree, built once per source state."""
    folder = CACHE / f"wheel-{_source_hash()}"
    found = sorted(folder.glob("graph_olap-*.whl"))
    if found:
        return found[0]
    shutil.rmtree(CACHE, ignore_errors=True)  # older builds
    source = CACHE / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=lambda d, names: [
            n for n in names
            if (Path(d) == ROOT and n not in ("src", "pyproject.toml", "README.md"))
            or n == "__pycache__" or n.endswith(".egg-info")
        ],
    )  # fmt: skip
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(source)],
        "building the wheel",
    )
    shutil.rmtree(source)
    return sorted(folder.glob("graph_olap-*.whl"))[0]


def _python_here(version: str) -> str | None:
    """An interpreter of ``version`` on this machine (on PATH, in /usr/bin, or a pyenv
    version), checked by running it; ``None`` when there is none."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        shutil.which(f"python{version}"),
        f"/usr/bin/python{version}",
        *sorted(str(p) for p in root.glob(f"versions/{version}.*/bin/python{version}")),
    ]
    for path in candidates:
        if not path or not Path(path).exists():
            continue
        done = subprocess.run(
            [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        if done.returncode == 0 and done.stdout.strip() == version:
            return path
    return None


@pytest.mark.parametrize("version", SUPPORTED)
def test_the_wheel_resolves_to_binary_packages_only(
    wheel: Path, version: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    _run(
        [
            sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
            "--only-binary=:all:", "--python-version", version, "--dest", str(tmp_path),
            f"graph-olap[{EXTRAS}] @ {wheel.as_uri()}",
        ],
        f"resolving graph-olap[{EXTRAS}] for Python {version} with binary packages only",
    )  # fmt: skip
    names = {p.name.split("-")[0].lower() for p in tmp_path.iterdir()}
    assert not any(p.suffix != ".whl" for p in tmp_path.iterdir())
    assert "ryugraph" not in names  # its own extra now
    assert {"kuzu", "fastapi", "ipywidgets"} <= names
    print(f"Python {version}: resolved to {len(names)} wheels in "
          f"{time.monotonic() - started:.1f} s (pip download, not installed)")  # fmt: skip


@pytest.mark.parametrize("version", SUPPORTED)
def test_the_wheel_installs_and_runs_in_a_fresh_venv(
    wheel: Path, version: str, tmp_path: Path
) -> None:
    python = _python_here(version)
    if python is None:
        pytest.skip(
            f"Python {version} is not installed on this machine (binary-only resolution "
            "for it is checked by test_the_wheel_resolves_to_binary_packages_only)"
        )
    started = time.monotonic()
    venv = tmp_path / "venv"
    _run([python, "-m", "venv", str(venv)], f"creating a Python {version} venv")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    _run(
        [
            *pip,
            "install",
            "-q",
            "--no-compile",
            "--only-binary=:all:",
            f"graph-olap[{EXTRAS}] @ {wheel.as_uri()}",
        ],
        f"installing graph-olap[{EXTRAS}] on Python {version} with binary packages only",
    )
    installed = time.monotonic() - started
    out = _run(
        [str(venv / "bin" / "python"), str(SMOKE), str(tmp_path / "data"), str(free_port())],
        f"the smoke workflow on Python {version}",
    )
    assert "smoke ok" in out
    print(f"Python {version}: installed in {installed:.1f} s, smoke workflow in "
          f"{time.monotonic() - started - installed:.1f} s (live)")  # fmt: skip
