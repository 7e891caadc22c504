"""Model names."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsdk import LocalModel, OpenAIModel, ScriptedModel, UnsupportedModelError, resolve_model


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


def test_remote_names_make_shared_openai_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = resolve_model("openai:qwen2.5-7b@http://gpu-box:8000/v1")
    assert isinstance(model, OpenAIModel) and model.remote
    assert (model.model, model.base_url) == ("qwen2.5-7b", "http://gpu-box:8000/v1")
    assert resolve_model("openai:qwen2.5-7b@http://gpu-box:8000/v1") is model
    assert resolve_model("openai:qwen2.5-7b@gpu-box:8000").base_url == "http://gpu-box:8000/v1"  # type: ignore[attr-defined]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-other")
    assert resolve_model("openai:qwen2.5-7b@http://gpu-box:8000/v1") is not model


def test_a_model_name_may_hold_an_at_sign(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    named = resolve_model("openai:team@model@https://api.example.com/v1")
    assert (named.model, named.base_url) == ("team@model", "https://api.example.com/v1")  # type: ignore[attr-defined]
    from_env = resolve_model("openai:llama3.2")
    assert from_env.base_url == "http://127.0.0.1:11434/v1"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["gpt-4", "local:", "openai:", "hf:org/model"])
def test_unknown_names_list_the_accepted_forms(name: str) -> None:
    with pytest.raises(UnsupportedModelError, match="local:PATH"):
        resolve_model(name)


@pytest.mark.stock
def test_stock_is_the_kit_llm() -> None:
    from agentsdk import Kit

    assert resolve_model("stock") is Kit.stock().llm
