"""`agentsdk demo` on the stock kit: the main job, end to end; its assets as package data."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import agentsdk
from agentsdk import ConfigurationError, _files
from agentsdk.cli.demo import default_assets, run_demo

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ("agentsdk/assets/receipt.png", "agentsdk/assets/question.wav")


def test_the_demo_assets_ship_in_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # found through the package, wherever the command runs
    image, audio = default_assets()
    assert image.is_file() and audio.is_file()
    package = Path(agentsdk.__file__).resolve().parent
    assert image.resolve() == package / "assets" / "receipt.png"
    assert audio.resolve() == package / "assets" / "question.wav"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built offline from a copy (the checkout stays clean)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "agentsdk", source / "agentsdk", ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    done = subprocess.run(
        [*build, "--no-index", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [built] = out.glob("agentsdk-*.whl")
    return built


def test_the_wheel_holds_the_demo_assets(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in ASSETS:
            assert name in names
            committed = (ROOT / name).read_bytes()
            assert archive.read(name) == committed


def test_an_installed_wheel_finds_its_assets_from_any_directory(
    wheel: Path, tmp_path: Path
) -> None:
    installed, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    with zipfile.ZipFile(wheel) as archive:  # a pure-Python wheel installs by unpacking
        archive.extractall(installed)
    script = (
        "import agentsdk; from agentsdk.cli.demo import default_assets; "
        "print(agentsdk.__file__); print(*default_assets(), sep='\\n')"
    )
    env = {**os.environ, "PYTHONPATH": str(installed), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    module, image, audio = done.stdout.splitlines()
    assert Path(module).is_relative_to(installed)  # not the checkout's copy
    for path in (Path(image), Path(audio)):
        assert path.is_relative_to(installed / "agentsdk" / "assets") and path.is_file()


def test_package_files_inside_a_zip_are_copied_out_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "agentsdk.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("agentsdk/assets/receipt.png", b"png bytes")
    monkeypatch.setattr(
        _files.resources, "files", lambda package: zipfile.Path(bundle, "agentsdk/")
    )
    monkeypatch.setenv("AGENTSDK_CACHE", str(tmp_path / "cache"))
    found = _files.package_file("assets", "receipt.png")
    assert found == tmp_path / "cache" / "package" / "assets" / "receipt.png"
    assert found.read_bytes() == b"png bytes"
    assert _files.package_file("assets", "receipt.png") == found
    with pytest.raises(FileNotFoundError):
        _files.package_file("assets", "missing.wav")


def test_missing_inputs_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="--image and --audio"):
        run_demo(tmp_path / "nope.png", tmp_path / "nope.wav", out=io.StringIO())


@pytest.mark.stock
def test_demo_hears_reads_calls_the_calculator_and_answers() -> None:
    out = io.StringIO()
    result = run_demo(out=out)
    printed = out.getvalue()
    kinds = {o.kind for o in result.observations}
    assert {"speech", "ocr", "facts"} <= kinds
    speech = next(o for o in result.observations if o.kind == "speech")
    ocr = next(o for o in result.observations if o.kind == "ocr")
    assert "total" in speech.text.lower()
    assert "12.50" in ocr.text and "5.60" in ocr.text
    for needle in ("heard (speech", "read (ocr", "prompt:", "answer:", "timings:"):
        assert needle in printed
    assert result.tool_calls, printed
    assert result.tool_calls[0].name == "calculator"
    assert not result.tool_results[0].is_error, printed
    assert "tool call: calculator(" in printed
    # the four prices add up to 25.45: the result, and the answer states it
    assert result.tool_results[0].content == "25.45", printed
    assert re.search(r"(?<![\d.])25\.45(?![\d])", result.text), printed
    assert "answer: 25.45" in printed
