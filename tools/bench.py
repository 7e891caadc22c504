#!/usr/bin/env python3
"""Benchmarks. Every number is a ratio against a baseline measured in the same run.

    python tools/bench.py llm            # LocalModel vs bare transformers generate; GGUF load
    python tools/bench.py llm --json     # the same, as JSON

Results and the machine they came from go in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def bench_llm(rounds: int, max_tokens: int) -> dict[str, Any]:
    import torch
    from transformers.utils import logging as hf_logging

    from agentsdk import GenerationSettings, LocalModel, Message
    from agentsdk.kit import STOCK_COMPONENTS, locate

    hf_logging.disable_progress_bar()
    spec = STOCK_COMPONENTS["llm"]
    gguf = locate(spec) / spec.files[0].path
    with tempfile.TemporaryDirectory() as cache:
        first_s, _ = _timed(lambda: LocalModel.from_pretrained(gguf, cache_dir=Path(cache)))
        cached_s, model = _timed(lambda: LocalModel.from_pretrained(gguf, cache_dir=Path(cache)))
    assert model.load_info.source == "gguf-cache"

    messages = [Message.user("Write a short poem about the sea and the wind.")]
    settings = GenerationSettings(max_tokens=max_tokens)
    inputs = model.tokenizer.apply_chat_template(
        [m.to_dict() for m in messages],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    prompt_length = inputs["input_ids"].shape[1]

    def bare() -> int:
        with torch.inference_mode():
            out = model.model.generate(**inputs, max_new_tokens=max_tokens, do_sample=False)
        return int(out.shape[1] - prompt_length)

    def sdk() -> int:
        return model.generate(messages, settings=settings).usage.output_tokens

    bare(), sdk()  # warm-up
    bare_rates, sdk_rates = [], []
    for _ in range(rounds):  # interleaved, so drift hits both alike
        seconds, tokens = _timed(bare)
        bare_rates.append(tokens / seconds)
        seconds, sdk_tokens = _timed(sdk)
        sdk_rates.append(sdk_tokens / seconds)
        assert sdk_tokens == tokens, (sdk_tokens, tokens)
    bare_tps, sdk_tps = statistics.median(bare_rates), statistics.median(sdk_rates)
    return {
        "tokens_per_call": tokens,
        "rounds": rounds,
        "bare_generate_tok_s": round(bare_tps, 2),
        "localmodel_generate_tok_s": round(sdk_tps, 2),
        "ratio": round(sdk_tps / bare_tps, 3),
        "load_gguf_first_s": round(first_s, 2),
        "load_cached_s": round(cached_s, 2),
        "load_speedup": round(first_s / cached_s, 1),
    }


def _machine() -> str:
    import torch

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, Python {platform.python_version()}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=["llm"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = {"machine": _machine(), "llm": bench_llm(args.rounds, args.max_tokens)}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    llm = result["llm"]
    print(f"machine: {result['machine']}")
    print("| measure | value |\n| --- | --- |")
    print(f"| bare `model.generate` | {llm['bare_generate_tok_s']} tok/s |")
    print(f"| `LocalModel.generate` | {llm['localmodel_generate_tok_s']} tok/s |")
    print(f"| ratio (target >= 0.95) | **{llm['ratio']}** |")
    print(f"| stock LLM load, GGUF (first) | {llm['load_gguf_first_s']} s |")
    print(f"| stock LLM load, cached | {llm['load_cached_s']} s |")
    print(f"| load speed-up | {llm['load_speedup']}x |")
    print(f"({llm['rounds']} interleaved rounds, {llm['tokens_per_call']} tokens each, medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
