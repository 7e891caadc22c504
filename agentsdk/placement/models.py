"""The models a plan places: size presets written in code, local configs, the stock kit.

A `ModelSpec` says what a model is (its transformers config, or the bytes of its weight
files for CTranslate2 and ONNX models) and what runtime loads it. Transformers models are
sized by building them on the meta device from their config (accelerate's
`init_empty_weights`), never by hand, and nothing is downloaded: the presets below are the
published config numbers, written out.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentsdk.errors import ConfigurationError, ModelNotFoundError

__all__ = [
    "ENCODER_PRESETS",
    "LLM_PRESETS",
    "ModelSpec",
    "meta_model",
    "model_spec",
    "stock_models",
]

Role = Literal["llm", "vision", "speech", "ocr", "embeddings"]
Runtime = Literal["transformers", "ctranslate2", "onnxruntime"]


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model to place."""

    name: str
    role: Role
    runtime: Runtime = "transformers"
    config: dict[str, Any] = field(default_factory=dict)
    """A transformers config as a dict with its `model_type` (sizes the model; for other
    runtimes it only shapes the activation headroom estimate)."""
    weight_bytes: int | None = None
    """Bytes of the weight files, for runtimes that load them as they are (CTranslate2, ONNX)."""
    weight_dtype: str | None = None
    """The dtype those files hold, e.g. "int8" (None: the dtype the device computes in)."""
    parameters: int | None = None
    """Parameter count where it is known but not computed from a config."""
    tokens: int = 0
    """Tokens (or frames, patches) one input holds, for an encoder's activation estimate."""
    batch: int = 1
    """Inputs an encoder handles at once, for its activation estimate."""
    gpu: bool = True
    """Whether its loader can put it on a GPU (onnxruntime models: see `onnx_gpu`)."""


def _llama(
    hidden: int,
    intermediate: int,
    layers: int,
    heads: int,
    kv_heads: int,
    vocab: int,
    tie: bool,
    context: int,
    rope_theta: float,
) -> dict[str, Any]:
    return {
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": intermediate,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "vocab_size": vocab,
        "tie_word_embeddings": tie,
        "max_position_embeddings": context,
        "rope_theta": rope_theta,
    }


def _qwen2(
    hidden: int, intermediate: int, layers: int, heads: int, kv_heads: int, vocab: int, tie: bool
) -> dict[str, Any]:
    config = _llama(hidden, intermediate, layers, heads, kv_heads, vocab, tie, 32768, 1000000.0)
    return {**config, "model_type": "qwen2"}


# The published config.json numbers of each model (hidden, intermediate, layers, heads,
# kv heads, vocabulary, tied embeddings).
LLM_PRESETS: dict[str, dict[str, Any]] = {
    "llama-3-8b": _llama(4096, 14336, 32, 32, 8, 128256, False, 8192, 500000.0),
    "llama-3-70b": _llama(8192, 28672, 80, 64, 8, 128256, False, 8192, 500000.0),
    "qwen2.5-0.5b": _qwen2(896, 4864, 24, 14, 2, 151936, True),
    "qwen2.5-7b": _qwen2(3584, 18944, 28, 28, 4, 152064, False),
    "smollm2-135m": _llama(576, 1536, 30, 9, 3, 49152, True, 8192, 100000.0),
}
"""Chat model configs by preset name."""


def _whisper(
    d_model: int, layers: int, heads: int, ffn: int, vocab: int, mels: int
) -> dict[str, Any]:
    return {
        "model_type": "whisper",
        "d_model": d_model,
        "encoder_layers": layers,
        "decoder_layers": layers,
        "encoder_attention_heads": heads,
        "decoder_attention_heads": heads,
        "encoder_ffn_dim": ffn,
        "decoder_ffn_dim": ffn,
        "vocab_size": vocab,
        "num_mel_bins": mels,
        "max_source_positions": 1500,
        "max_target_positions": 448,
    }


ENCODER_PRESETS: dict[str, tuple[Role, dict[str, Any], int, int]] = {
    # role, config, tokens per input, batch
    "clip-vit-l-14": (
        "vision",
        {
            "model_type": "clip",
            "projection_dim": 768,
            "text_config": {
                "hidden_size": 768,
                "intermediate_size": 3072,
                "num_hidden_layers": 12,
                "num_attention_heads": 12,
                "vocab_size": 49408,
                "max_position_embeddings": 77,
            },
            "vision_config": {
                "hidden_size": 1024,
                "intermediate_size": 4096,
                "num_hidden_layers": 24,
                "num_attention_heads": 16,
                "image_size": 224,
                "patch_size": 14,
            },
        },
        257,
        32,
    ),
    "whisper-large-v3": ("speech", _whisper(1280, 32, 20, 5120, 51866, 128), 1500, 1),
    "whisper-tiny": ("speech", _whisper(384, 4, 6, 1536, 51865, 80), 1500, 1),
    "all-minilm-l6-v2": (
        "embeddings",
        {
            "model_type": "bert",
            "hidden_size": 384,
            "intermediate_size": 1536,
            "num_hidden_layers": 6,
            "num_attention_heads": 12,
            "vocab_size": 30522,
            "max_position_embeddings": 512,
        },
        128,
        32,
    ),
}
"""Encoder configs by preset name: (role, config, tokens per input, batch)."""


def model_spec(name_or_path: str | Path, *, role: Role | None = None) -> ModelSpec:
    """A preset by name (see `LLM_PRESETS`, `ENCODER_PRESETS`), or a local config.json or a
    checkpoint folder holding one. A path's model is a chat model unless `role` says otherwise."""
    key = str(name_or_path)
    if key in LLM_PRESETS and role in (None, "llm"):
        return ModelSpec(key, "llm", config=LLM_PRESETS[key])
    if key in ENCODER_PRESETS:
        preset_role, config, tokens, batch = ENCODER_PRESETS[key]
        if role not in (None, preset_role):
            raise ConfigurationError(f"{key} is a {preset_role} model, not a {role} model")
        return ModelSpec(key, preset_role, config=config, tokens=tokens, batch=batch)
    path = Path(name_or_path).expanduser()
    config_file = path / "config.json" if path.is_dir() else path
    if not config_file.is_file():
        presets = ", ".join(sorted([*LLM_PRESETS, *ENCODER_PRESETS]))
        raise ModelNotFoundError(
            f"{key!r} is neither a preset ({presets}) nor a config.json or a folder holding one"
        )
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read {config_file} as a JSON config: {exc}") from exc
    if not isinstance(config, dict) or "model_type" not in config:
        raise ConfigurationError(f"{config_file} has no model_type: not a transformers config")
    name = path.name if path.is_dir() else path.parent.name or path.stem
    return ModelSpec(name, role or "llm", config=config)


def stock_models(*, vision: str | Path | None = None) -> tuple[ModelSpec, ...]:
    """The stock kit's models as it loads them (see `agentsdk.kit`), plus an optional
    vision model (a preset name or a local CLIP/SigLIP folder)."""
    from agentsdk.weights import STOCK_COMPONENTS

    def file_bytes(role: str) -> int:
        return sum(f.size for f in STOCK_COMPONENTS[role].files if not f.path.endswith(".json"))

    _, whisper_tiny, whisper_tokens, _ = ENCODER_PRESETS["whisper-tiny"]
    _, minilm, minilm_tokens, minilm_batch = ENCODER_PRESETS["all-minilm-l6-v2"]
    models = [
        # The GGUF file is de-quantised on load: in memory it takes the dtype's bytes.
        ModelSpec("smollm2-135m", "llm", config=LLM_PRESETS["smollm2-135m"]),
        ModelSpec(
            "whisper-tiny.en-ct2",
            "speech",
            runtime="ctranslate2",
            config=whisper_tiny,
            weight_bytes=file_bytes("speech"),
            weight_dtype="int8",
            tokens=whisper_tokens,
        ),
        ModelSpec(
            "pp-ocrv6-small",
            "ocr",
            runtime="onnxruntime",
            weight_bytes=file_bytes("ocr"),
            weight_dtype="float32",
        ),
        # The tool ranker loads it itself, on the CPU (EmbeddingToolRanker.stock).
        ModelSpec(
            "all-minilm-l6-v2",
            "embeddings",
            config=minilm,
            tokens=minilm_tokens,
            batch=minilm_batch,
            gpu=False,
        ),
    ]
    if vision is not None:
        models.append(model_spec(vision, role="vision"))
    return tuple(models)


@functools.lru_cache(maxsize=16)
def _meta_model(config_json: str, role: str) -> Any:
    from accelerate import init_empty_weights
    from transformers import (
        AutoConfig,
        AutoModel,
        AutoModelForCausalLM,
        AutoModelForSpeechSeq2Seq,
    )

    data = json.loads(config_json)
    model_type = data.pop("model_type")
    try:
        config = AutoConfig.for_model(model_type, **data)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"transformers cannot build a {model_type!r} config: {exc}"
        ) from exc
    auto = {"llm": AutoModelForCausalLM, "speech": AutoModelForSpeechSeq2Seq}.get(role, AutoModel)
    try:
        with init_empty_weights():
            model = auto.from_config(config)  # type: ignore[no-untyped-call]
    except (ValueError, KeyError) as exc:
        raise ConfigurationError(f"cannot build a {model_type!r} model for {role}: {exc}") from exc
    model.tie_weights()  # not done on the meta device; tied embeddings count once
    return model


def meta_model(spec: ModelSpec) -> Any:
    """`spec`'s transformers model built on the meta device (no memory used; cached)."""
    return _meta_model(json.dumps(spec.config, sort_keys=True), spec.role)
