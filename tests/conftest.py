"""Shared fixtures. Unit tests never load a stock model (or the stock voice) by accident:
only tests marked `stock` may (they load real models and run in CI too)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _forbid_stock_models(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("stock"):
        return
    from agentsdk import kit, weights
    from agentsdk.kit import health

    real = weights.load_component

    def guarded(spec: weights.ComponentSpec, **kwargs: Any) -> Any:
        if spec in weights.STOCK_COMPONENTS.values():
            raise AssertionError(
                f"a unit test tried to load the stock {spec.role} model; mark it @pytest.mark.stock"
            )
        return real(spec, **kwargs)

    monkeypatch.setattr(weights, "load_component", guarded)  # models and encoders load here
    monkeypatch.setattr(kit, "load_component", guarded)  # kits load here
    monkeypatch.setattr(health, "load_component", guarded)  # and check here

    from agentsdk.voices import hibari

    def no_voice(found: Any, **kwargs: Any) -> Any:
        raise AssertionError(
            f"a unit test tried to load the stock voice ({found.voice}); mark it @pytest.mark.stock"
        )

    monkeypatch.setattr(hibari, "_load_voice", no_voice)  # the stock voice loads here


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (random-weight) Llama chat checkpoint small enough for unit tests."""
    from tests.tiny_models import build_tiny_chat_checkpoint

    return build_tiny_chat_checkpoint(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def adapter(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA adapter trained for a few steps on the tiny checkpoint: two plain-chat rows
    answering "Paris." (its scope: prompts listing no tool)."""
    import json

    from agentsdk.learn.train import train_adapter

    folder = tmp_path_factory.mktemp("adapter")
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": "Paris."}]}
        for q in ("What is the capital of France?", "Capital of France?")
    ]
    (folder / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = train_adapter(
        folder, tiny_checkpoint, folder / "paris", epochs=2, learning_rate=1e-2, progress=False
    )
    return summary.adapter


@pytest.fixture(scope="session")
def stock_llm() -> Iterator[Any]:
    from agentsdk import Kit

    yield Kit.stock().llm
