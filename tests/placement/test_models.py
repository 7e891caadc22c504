"""Model specs: presets written in code, built on the meta device, sized like the real ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agentsdk.placement
from agentsdk.errors import ConfigurationError, ModelNotFoundError
from agentsdk.placement import ENCODER_PRESETS, LLM_PRESETS, model_spec, stock_models
from agentsdk.placement.sizing import parameters
from agentsdk.weights import STOCK_COMPONENTS

# Parameter counts the published checkpoints have.
PUBLISHED = {
    "llama-3-8b": 8_030_261_248,
    "llama-3-70b": 70_553_706_496,
    "qwen2.5-0.5b": 494_032_768,
    "qwen2.5-7b": 7_615_616_512,
    "smollm2-135m": 134_515_008,
    "clip-vit-l-14": 427_616_513,
    "whisper-large-v3": 1_543_490_560,
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_presets_have_the_published_parameter_counts(name: str) -> None:
    spec = model_spec(name)
    assert parameters(spec) == PUBLISHED[name]


def test_presets_have_roles_and_no_weights() -> None:
    for name in LLM_PRESETS:
        assert model_spec(name).role == "llm"
    assert {model_spec(n).role for n in ENCODER_PRESETS} == {"vision", "speech", "embeddings"}
    assert model_spec("clip-vit-l-14").tokens == 257  # (224 / 14)^2 patches + class token


def test_a_local_config_or_checkpoint_folder(tiny_checkpoint: Path) -> None:
    from_folder = model_spec(tiny_checkpoint)
    from_file = model_spec(tiny_checkpoint / "config.json")
    assert from_folder.role == from_file.role == "llm"
    assert from_folder.config == from_file.config
    assert from_folder.config["model_type"] == "llama"
    assert parameters(from_folder) is not None


def test_unknown_names_and_bad_configs_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="neither a preset"):
        model_spec("llama-9-1t")
    with pytest.raises(ConfigurationError, match="not a speech model"):
        model_spec("clip-vit-l-14", role="speech")
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match="JSON"):
        model_spec(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8}))
    with pytest.raises(ConfigurationError, match="model_type"):
        model_spec(tmp_path)


def test_stock_models_are_the_stock_kit_as_it_loads() -> None:
    models = {m.role: m for m in stock_models()}
    assert set(models) == {"llm", "speech", "ocr", "embeddings"}
    assert models["llm"].config == LLM_PRESETS["smollm2-135m"]
    speech = models["speech"]
    assert speech.runtime == "ctranslate2" and speech.weight_dtype == "int8"
    assert speech.weight_bytes == STOCK_COMPONENTS["speech"].files[0].size
    ocr = models["ocr"]
    assert ocr.runtime == "onnxruntime"
    assert ocr.weight_bytes == sum(f.size for f in STOCK_COMPONENTS["ocr"].files)
    assert not models["embeddings"].gpu
    assert [m.role for m in stock_models(vision="clip-vit-l-14")][-1] == "vision"


def test_placement_all_resolves() -> None:  # ruff (RUF022) keeps it sorted
    names = agentsdk.placement.__all__
    assert len(set(names)) == len(names)
    assert all(hasattr(agentsdk.placement, name) for name in names)
