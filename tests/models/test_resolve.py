"""Model names."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsdk import LocalModel, ScriptedModel, UnsupportedModelError, resolve_model


def test_a_model_object_is_returned_as_is() -> None:
    model = ScriptedModel([])
    assert resolve_model(model) is model


def test_objects_that_are_not_models_are_refused() -> None:
    with pytest.raises(UnsupportedModelError, match="not a chat model"):
        resolve_model(42)  # type: ignore[arg-type]


def test_local_paths_load_once(tiny_checkpoint: Path) -> None:
    model = resolve_model(f"local:{tiny_checkpoint}")
    assert isinstance(model, LocalModel)
    assert resolve_model(f"local:{tiny_checkpoint}") is model


def test_remote_backend_is_not_available_yet() -> None:
    with pytest.raises(UnsupportedModelError, match="not part of this release yet"):
        resolve_model("openai:gpt-4o-mini@http://localhost:8000/v1")


@pytest.mark.parametrize("name", ["gpt-4", "local:", "openai:", "hf:org/model"])
def test_unknown_names_list_the_accepted_forms(name: str) -> None:
    with pytest.raises(UnsupportedModelError, match="local:PATH"):
        resolve_model(name)


@pytest.mark.stock
def test_stock_is_the_kit_llm() -> None:
    from agentsdk import Kit

    assert resolve_model("stock") is Kit.stock().llm
