"""Bytes and headroom of one model on one device, from its config (built on the meta device).

Headroom is what a model needs beyond its weights while it runs: for an LLM the KV cache
(2 x layers x kv heads x head dim x context x batch x bytes) and the prefill activations of
one layer; for an encoder one batch through one layer, attention scores included.
"""

from __future__ import annotations

import json
from typing import Any

from agentsdk.placement.devices import Device
from agentsdk.placement.models import ModelSpec, meta_model
from agentsdk.placement.plan import Placement, PlanOptions

__all__ = [
    "DTYPE_BYTES",
    "ONNX_HEADROOM",
    "compute_dtype",
    "config_of",
    "kv_per_layer",
    "llm_activations",
    "need",
    "parameters",
    "torch_dtype",
    "weight_bytes",
    "whole",
]

DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "int8": 1}
ONNX_HEADROOM = 256 * 2**20
"""Activation headroom of an ONNX model without a config (rapidocr: DBNet maps of one page)."""


def torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, name)


def parameters(spec: ModelSpec) -> int | None:
    if spec.parameters is not None:
        return spec.parameters
    if not spec.config:
        return None
    return int(sum(p.numel() for p in meta_model(spec).parameters()))


def weight_bytes(spec: ModelSpec, dtype: str) -> int:
    """Bytes of `spec`'s weights (and buffers) in `dtype`, by accelerate's module sizes."""
    if spec.weight_bytes is not None:
        return spec.weight_bytes
    key = (json.dumps(spec.config, sort_keys=True), spec.role, dtype)
    found = _module_bytes.get(key)
    if found is None:
        from accelerate.utils import compute_module_sizes

        found = int(compute_module_sizes(meta_model(spec), dtype=torch_dtype(dtype))[""])
        _module_bytes[key] = found
    return found


_module_bytes: dict[tuple[str, str, str], int] = {}


def config_of(spec: ModelSpec) -> Any:
    return meta_model(spec).config


def kv_per_layer(spec: ModelSpec, dtype: str, options: PlanOptions) -> int:
    """KV-cache bytes one decoder layer needs: 2 x kv heads x head dim x context x batch."""
    config = config_of(spec)
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    return int(2 * kv_heads * head_dim * options.context * options.batch * DTYPE_BYTES[dtype])


def llm_activations(spec: ModelSpec, dtype: str, options: PlanOptions) -> int:
    """Peak prefill activations of one layer (hidden states and MLP intermediates for the
    whole context, twice for temporaries) plus one row of fp32 logits per sequence."""
    config = config_of(spec)
    per_token = 2 * config.hidden_size + config.intermediate_size
    hidden = options.batch * options.context * per_token * DTYPE_BYTES[dtype] * 2
    return int(hidden + options.batch * config.vocab_size * 4)


def _encoder_headroom(spec: ModelSpec, dtype: str) -> int:
    """Activations of one batch through one layer (with its attention scores); Whisper adds
    its decoder's self- and cross-attention KV cache."""
    if not spec.config:
        return ONNX_HEADROOM
    config = config_of(spec)
    tower = getattr(config, "vision_config", None) or config
    hidden = getattr(tower, "hidden_size", None) or tower.d_model
    intermediate = getattr(tower, "intermediate_size", None) or tower.encoder_ffn_dim
    heads = getattr(tower, "num_attention_heads", None) or tower.encoder_attention_heads
    # CTranslate2 keeps int8 weights and computes in fp32 on CPU, fp16/bf16 on GPU.
    if dtype == "int8":
        size = 4
    elif dtype.startswith("int8_"):
        size = DTYPE_BYTES[dtype.removeprefix("int8_")]
    else:
        size = DTYPE_BYTES[dtype]
    tokens = max(spec.tokens, 1)
    total = spec.batch * tokens * (2 * hidden + intermediate) * size * 2
    total += spec.batch * heads * tokens * tokens * size
    if getattr(config, "model_type", "") == "whisper":
        positions = config.max_target_positions + config.max_source_positions
        total += 2 * config.decoder_layers * config.d_model * positions * size * spec.batch
    return int(total)


def compute_dtype(spec: ModelSpec, device: Device) -> str:
    if spec.runtime == "ctranslate2":
        return "int8" if device.kind == "cpu" else f"int8_{device.dtype}"
    if spec.runtime == "onnxruntime":
        return spec.weight_dtype or "float32"
    return device.dtype


def whole(spec: ModelSpec, device: Device, options: PlanOptions) -> Placement:
    dtype = compute_dtype(spec, device)
    weights = weight_bytes(spec, dtype)
    if spec.role == "llm":
        layers = config_of(spec).num_hidden_layers
        headroom = layers * kv_per_layer(spec, dtype, options)
        headroom += llm_activations(spec, dtype, options)
    else:
        headroom = _encoder_headroom(spec, dtype)
    return Placement(
        model=spec.name,
        role=spec.role,
        runtime=spec.runtime,
        parameters=parameters(spec),
        dtype=dtype,
        weights=((device.name, weights),),
        headroom=((device.name, headroom),),
    )


def need(placement: Placement) -> int:
    return placement.weight_bytes + placement.headroom_bytes
