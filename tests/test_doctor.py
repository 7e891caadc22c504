"""`agentsdk doctor`'s report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from agentsdk import Kit
from agentsdk.doctor import PACKAGES, describe_devices, diagnose, render
from agentsdk.kit import STOCK_COMPONENTS


def test_devices_always_include_the_cpu() -> None:
    cpu = describe_devices()[0]
    assert cpu["device"] == "cpu"
    assert cpu["cores"] >= 1 and cpu["memory_bytes"] > 0


def test_report_lists_versions_devices_and_components() -> None:
    report = diagnose(Kit.stock(), load=False)
    assert set(report.packages) == set(PACKAGES)
    assert report.packages["agentsdk"] == "0.1.0"
    assert [c.role for c in report.components] == list(STOCK_COMPONENTS)
    text = render(report)
    for needle in ("python", "torch", "cpu", "llm", "speech", "ocr", "embeddings", "verdict"):
        assert needle in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["usable"] == report.usable


def test_a_missing_component_makes_the_kit_unusable() -> None:
    gone = dataclasses.replace(STOCK_COMPONENTS["speech"], package="no_such_weights_pkg")
    report = diagnose(Kit(components={"speech": gone}), load=False)
    assert not report.usable
    assert "NOT usable" in render(report)
    assert "missing" in render(report)


def test_an_empty_kit_is_not_usable() -> None:
    assert not diagnose(Kit(components={}), load=False).usable


@pytest.mark.stock
def test_the_stock_kit_loads(tmp_path: Path) -> None:
    report = diagnose(Kit.stock(), load=True)
    assert report.usable, render(report)
    assert all(c.status == "ok" and c.load_seconds is not None for c in report.components)
