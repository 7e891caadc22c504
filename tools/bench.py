#!/usr/bin/env python3
"""Benchmarks. Every number is a ratio against a baseline measured in the same run.

    python tools/bench.py llm            # LocalModel vs bare transformers generate; GGUF load
    python tools/bench.py encoders       # speech RTF, OCR s/image, CLIP batching, cache
    python tools/bench.py speech         # SpeechEncoder vs bare faster-whisper (same model,
                                         # beam 5): WER and s/clip, short and long clips
    python tools/bench.py plan           # device plan vs bare accelerate infer_auto_device_map
    python tools/bench.py remote         # OpenAIModel vs the bare openai client; agent turn
                                         # through `transformers serve` vs in process
    python tools/bench.py gpu            # LocalModel generate/stream vs bare generate on CUDA
                                         # (random ~1B Llama), and a plan split GPU+CPU;
                                         # --small: a 6-layer model, on the CPU if no GPU
    python tools/bench.py gpu --diagnose-stream  # where LocalModel.stream loses time, step
                                         # by step from bare generate (prints a table)
    python tools/bench.py serve          # agentsdk serve under load on loopback: latency,
                                         # throughput, refusals over capacity (--seconds,
                                         # --clients)
    python tools/bench.py all --json     # everything, as JSON

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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.* and tools.* helpers

from tools.bench_gpu import bench_gpu, diagnose_stream, print_gpu, timed
from tools.bench_serve import bench_serve, print_serve
from tools.bench_speech import bench_speech, print_speech
from tools.bench_voice import bench_voice, print_voice


def bench_llm(rounds: int, max_tokens: int) -> dict[str, Any]:
    import torch
    from transformers.utils import logging as hf_logging

    from agentsdk import GenerationSettings, LocalModel, Message
    from agentsdk.kit import STOCK_COMPONENTS, locate

    hf_logging.disable_progress_bar()
    spec = STOCK_COMPONENTS["llm"]
    gguf = locate(spec) / spec.files[0].path
    with tempfile.TemporaryDirectory() as cache:
        first_s, _ = timed(lambda: LocalModel.from_pretrained(gguf, cache_dir=Path(cache)))
        cached_s, model = timed(lambda: LocalModel.from_pretrained(gguf, cache_dir=Path(cache)))
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
        seconds, tokens = timed(bare)
        bare_rates.append(tokens / seconds)
        seconds, sdk_tokens = timed(sdk)
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


def bench_encoders(rounds: int) -> dict[str, Any]:
    import numpy as np

    from agentsdk import Audio, Image
    from agentsdk.encoders import (
        FasterWhisperBackend,
        ObservationCache,
        OCREncoder,
        SpeechEncoder,
        VisionEncoder,
        cached,
    )
    from agentsdk.kit import STOCK_COMPONENTS, load_component
    from tests.encoders.samples import SENTENCES, receipt_sample, speak, text_samples

    # the encoders themselves, without the observation cache
    speech = SpeechEncoder(FasterWhisperBackend(load_component(STOCK_COMPONENTS["speech"])))
    ocr = OCREncoder(load_component(STOCK_COMPONENTS["ocr"]))
    with tempfile.TemporaryDirectory() as folder:
        clips = [Audio(speak(text, Path(folder) / f"{i}.wav")) for i, text in enumerate(SENTENCES)]
    pause = np.zeros(16_000, np.float32)
    long_clip = Audio(
        np.concatenate([part for clip in clips for part in (clip.resampled(16_000), pause)]),
        sample_rate=16_000,
    )
    speech.encode(clips[0])  # warm-up (loads VAD)
    short_s = [timed(lambda clip=clip: speech.encode(clip))[0] for clip in clips]
    long_s = min(timed(lambda: speech.encode(long_clip))[0] for _ in range(rounds))
    short_audio = sum(clip.duration for clip in clips)

    images = [Image(sample.image) for sample in text_samples()]
    ocr.encode(images[0])
    ocr_s = [timed(lambda image=image: ocr.encode(image))[0] for image in images]

    cache = ObservationCache()
    receipt_png = receipt_sample().image
    cached_ocr = cached(ocr, cache)
    miss_s, _ = timed(lambda: cached_ocr.encode(Image(receipt_png)))
    hits = [timed(lambda: cached_ocr.encode(Image(receipt_png)))[0] for _ in range(50)]
    hit_s = statistics.median(hits)

    result: dict[str, Any] = {
        "speech_short_clips": len(clips),
        "speech_short_audio_s": round(short_audio, 1),
        "speech_short_rtf": round(sum(short_s) / short_audio, 3),
        "speech_short_mean_latency_s": round(statistics.mean(short_s), 3),
        "speech_long_audio_s": round(long_clip.duration, 1),
        "speech_long_rtf": round(long_s / long_clip.duration, 3),
        "ocr_images": len(images),
        "ocr_s_per_image_median": round(statistics.median(ocr_s), 3),
        "cache_miss_s": round(miss_s, 4),
        "cache_hit_s": round(hit_s, 6),
        "cache_hit_vs_miss": round(miss_s / hit_s),
    }
    fixture = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tiny-clip"
    if (fixture / "config.json").is_file():
        from tools.synthetic_shapes import dataset

        vision = VisionEncoder.from_pretrained(fixture, batch_size=32)
        pictures = [Image(picture) for picture, *_ in dataset(seed=424242, per_class=3)]
        vision.embed_images(pictures[:4])
        batched = min(timed(lambda: vision.embed_images(pictures))[0] for _ in range(rounds))
        single = min(
            timed(lambda: [vision.embed_images([p]) for p in pictures])[0] for _ in range(rounds)
        )
        result.update(
            {
                "clip_images": len(pictures),
                "clip_batched_images_s": round(len(pictures) / batched, 1),
                "clip_one_by_one_images_s": round(len(pictures) / single, 1),
                "clip_batching_speedup": round(single / batched, 2),
            }
        )
    return result


def bench_loop(runs: int) -> dict[str, Any]:
    """Loop overhead per step with an instant scripted model, against the same calls made
    directly: one run = the model calls add(a, b) once, then answers (two steps)."""
    import cProfile
    import pstats

    from agentsdk import Agent, Message, ScriptedModel, ToolCall
    from agentsdk.tools import tool

    @tool
    def add(a: float, b: float) -> float:
        """Add two numbers."""
        return a + b

    def script() -> ScriptedModel:
        return ScriptedModel([ToolCall("add", {"a": 1, "b": 2}), "3"])

    def direct() -> None:  # what the run does, minus the SDK: two model calls, one tool call
        model = script()
        messages = [Message.system("s"), Message.user("What is 1 + 2?")]
        first = model.generate(messages, tools=[add.schema()])
        call = first.tool_calls[0]
        value = add.function(**call.arguments)
        messages += [first.to_message(), Message("tool", str(value), tool_call_id=call.id)]
        model.generate(messages, tools=[add.schema()])

    def sdk() -> None:
        Agent(model=script(), tools=[add]).run("What is 1 + 2?")

    for _ in range(50):  # warm-up
        direct(), sdk()
    direct_s = min(timed(lambda: [direct() for _ in range(runs)])[0] for _ in range(5)) / runs
    sdk_s = min(timed(lambda: [sdk() for _ in range(runs)])[0] for _ in range(5)) / runs
    profile = cProfile.Profile()
    profile.runcall(sdk)
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return {
        "runs": runs,
        "direct_ms_per_run": round(direct_s * 1000, 3),
        "sdk_ms_per_run": round(sdk_s * 1000, 3),
        "overhead_ms_per_step": round((sdk_s - direct_s) * 1000 / 2, 3),
        "python_calls_per_run": calls,
    }


def bench_hitl(runs: int) -> dict[str, Any]:
    """What the human layer costs, against a plain run measured in the same process: a
    run checkpointed to SQLite after every step, a gated call paused and resumed (JSON
    round trip of the state included), and PII redaction of a receipt-sized OCR text."""
    from agentsdk import Agent, RunState, ScriptedModel, SQLiteCheckpointStore, ToolCall
    from agentsdk.safety import PIIVault
    from agentsdk.tools import tool

    def make(approval: str) -> Any:
        @tool(approval=approval)  # type: ignore[arg-type]
        def add(a: float, b: float) -> float:
            """Add two numbers."""
            return a + b

        return add

    free, gated = make("never"), make("always")

    def script() -> ScriptedModel:
        return ScriptedModel([ToolCall("add", {"a": 1, "b": 2}), "3"])

    def plain() -> None:
        Agent(model=script(), tools=[free]).run("What is 1 + 2?")

    class Counted(SQLiteCheckpointStore):
        saves = 0

        def save(self, state: RunState) -> None:
            Counted.saves += 1
            super().save(state)

    store = Counted(Path(tempfile.mkdtemp()) / "bench.db", keep=1)

    def checkpointed() -> None:
        Agent(model=script(), tools=[free], checkpointer=store).run("What is 1 + 2?")

    def paused_and_resumed() -> None:
        agent = Agent(model=script(), tools=[gated])
        state = agent.run("What is 1 + 2?").state
        assert state is not None
        state = RunState.from_json(state.to_json())
        agent.resume(state.approve(state.interruptions[0]))

    receipt = "\n".join(
        f"item {i} 12.50 call +44 20 7946 09{i:02d} or shop{i}@example.com" for i in range(40)
    )

    def redact() -> None:
        PIIVault().redact(receipt)

    for _ in range(20):  # warm-up
        plain(), checkpointed(), paused_and_resumed(), redact()
    few = max(20, runs // 10)

    def per_run(function: Callable[[], None], count: int) -> float:
        return min(timed(lambda: [function() for _ in range(count)])[0] for _ in range(3)) / count

    plain_s = per_run(plain, runs)
    checkpointed_s = per_run(checkpointed, few)
    paused_s = per_run(paused_and_resumed, runs)
    redact_s = per_run(redact, few)
    Counted.saves = 0
    checkpointed()
    checkpoints = Counted.saves
    return {
        "plain_run_ms": round(plain_s * 1000, 3),
        "checkpointed_run_ms": round(checkpointed_s * 1000, 3),
        "checkpointed_vs_plain": round(checkpointed_s / plain_s, 1),
        "checkpoints_per_run": checkpoints,
        "ms_per_checkpoint": round((checkpointed_s - plain_s) * 1000 / checkpoints, 3),
        "pause_json_resume_ms": round(paused_s * 1000, 3),
        "pause_resume_vs_plain": round(paused_s / plain_s, 2),
        "redact_40_line_receipt_ms": round(redact_s * 1000, 3),
    }


def bench_turn(rounds: int) -> dict[str, Any]:
    """A turn with one image and one clip: the encoder phase against the slowest encoder
    alone and against all encoders one after another (no cache)."""
    import asyncio

    from agentsdk import Audio, Image
    from agentsdk.cli.demo import default_assets
    from agentsdk.encoders import FasterWhisperBackend, ImageFactsEncoder, OCREncoder, SpeechEncoder
    from agentsdk.kit import STOCK_COMPONENTS, load_component
    from agentsdk.router import Router

    speech = SpeechEncoder(FasterWhisperBackend(load_component(STOCK_COMPONENTS["speech"])))
    ocr = OCREncoder(load_component(STOCK_COMPONENTS["ocr"]))
    facts = ImageFactsEncoder()
    image_path, audio_path = default_assets()
    image, audio = Image(image_path), Audio(audio_path)
    jobs = [(speech, audio), (ocr, image), (facts, image)]
    for encoder, part in jobs:  # warm-up
        encoder.encode(part)
    alone = {
        encoder.name: min(timed(lambda e=encoder, p=part: e.encode(p))[0] for _ in range(rounds))
        for encoder, part in jobs
    }
    router = Router(image=[ocr, facts], audio=[speech])

    def together() -> None:
        asyncio.run(router.perceive([image, audio], lambda event: None, lambda: 0.0, "bench"))

    parallel = min(timed(together)[0] for _ in range(rounds))
    slowest = max(alone.values())
    return {
        **{f"{name}_alone_s": round(seconds, 3) for name, seconds in alone.items()},
        "sequential_sum_s": round(sum(alone.values()), 3),
        "perceive_parallel_s": round(parallel, 3),
        "parallel_vs_slowest": round(parallel / slowest, 2),
        "parallel_vs_sequential": round(parallel / sum(alone.values()), 2),
    }


def bench_plan(rounds: int) -> dict[str, Any]:
    """Plan time for Llama-3-70B + CLIP ViT-L/14 + Whisper large-v3 vs bare accelerate:
    `infer_auto_device_map` on the same meta model with the same GPU budgets."""
    import logging
    import warnings

    from accelerate import infer_auto_device_map

    from agentsdk.placement import model_spec, plan_placement, simulate_devices
    from agentsdk.placement.models import meta_model

    logging.getLogger("accelerate.utils.modeling").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    kit = [model_spec("llama-3-70b"), model_spec("clip-vit-l-14"), model_spec("whisper-large-v3")]
    cold_s, _ = timed(lambda: plan_placement(kit, simulate_devices("8x80GiB")))  # meta builds
    model = meta_model(kit[0])
    result: dict[str, Any] = {"first_plan_s_with_meta_builds": round(cold_s, 3)}
    for machine in ("8x80GiB", "2x24GiB"):
        devices = simulate_devices(machine)
        plan = plan_placement(kit, devices)
        budgets = {d.index: plan.budget(d.name) for d in devices if d.kind == "cuda"}
        budgets.update({"cpu": plan.budget("cpu"), "disk": plan.budget("disk")})

        def bare(budgets: dict[Any, int] = budgets) -> Any:
            return infer_auto_device_map(
                model,
                max_memory=budgets,
                no_split_module_classes=list(model._no_split_modules),
                dtype="bfloat16",
            )

        def planned(devices: Any = devices) -> Any:
            return plan_placement(kit, devices)

        bare_s = statistics.median(timed(bare)[0] for _ in range(rounds))
        plan_s = statistics.median(timed(planned)[0] for _ in range(rounds))
        result[machine] = {
            "llm_devices": "+".join(plan["llm"].devices),
            "bare_infer_auto_device_map_s": round(bare_s, 4),
            "plan_placement_s": round(plan_s, 4),
            "ratio": round(plan_s / bare_s, 2),
        }
    return result


def bench_remote(rounds: int, max_tokens: int) -> dict[str, Any]:
    """`OpenAIModel` vs the bare `openai` client against the same `transformers serve`
    (stock weights): time to first token and total, streamed; then one agent turn through
    the server vs the same turn in process on the same weights."""
    import openai

    from agentsdk import Agent, GenerationSettings, Kit, Message, OpenAIModel
    from agentsdk.router import Router
    from tools.transformers_server import transformers_serve

    local = Kit.stock().llm
    checkpoint = str(local.load_info.checkpoint)  # type: ignore[attr-defined]
    question = "Write a short poem about the sea and the wind."
    settings = GenerationSettings(max_tokens=max_tokens)
    with transformers_serve(checkpoint) as url:
        client = openai.OpenAI(base_url=url, api_key="none")
        model = OpenAIModel(checkpoint, base_url=url)

        def bare() -> tuple[float, float, str]:
            started = time.perf_counter()
            first, text = 0.0, []
            stream = client.chat.completions.create(
                model=checkpoint,
                messages=[{"role": "user", "content": question}],
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first or time.perf_counter() - started
                    text.append(chunk.choices[0].delta.content)
            return first, time.perf_counter() - started, "".join(text)

        def sdk() -> tuple[float, float, str]:
            started = time.perf_counter()
            first, text = 0.0, []
            for delta in model.stream([Message.user(question)], settings=settings):
                first = first or time.perf_counter() - started
                text.append(delta)
            return first, time.perf_counter() - started, "".join(text)

        bare(), sdk()  # warm-up: the server loads the model on its first request
        measures: dict[str, list[float]] = {k: [] for k in ("bt", "btot", "st", "stot")}
        for _ in range(rounds):  # interleaved, so drift hits both alike
            first, total, bare_text = bare()
            measures["bt"].append(first)
            measures["btot"].append(total)
            first, total, sdk_text = sdk()
            measures["st"].append(first)
            measures["stot"].append(total)
            assert sdk_text == bare_text, (sdk_text, bare_text)
        med = {k: statistics.median(v) for k, v in measures.items()}

        remote_agent = Agent(model=model, router=Router(), settings=settings)
        local_agent = Agent(model=local, router=Router(), settings=settings)
        remote_agent.run(question), local_agent.run(question)  # warm-up
        remote_s, local_s = [], []
        for _ in range(rounds):
            remote_s.append(timed(lambda: remote_agent.run(question))[0])
            local_s.append(timed(lambda: local_agent.run(question))[0])
    return {
        "rounds": rounds,
        "max_tokens": max_tokens,
        "bare_client_first_token_s": round(med["bt"], 3),
        "openai_model_first_token_s": round(med["st"], 3),
        "first_token_ratio": round(med["st"] / med["bt"], 3),
        "bare_client_total_s": round(med["btot"], 3),
        "openai_model_total_s": round(med["stot"], 3),
        "total_ratio": round(med["stot"] / med["btot"], 3),
        "agent_turn_via_transformers_serve_s": round(statistics.median(remote_s), 3),
        "agent_turn_in_process_s": round(statistics.median(local_s), 3),
        "served_vs_in_process": round(statistics.median(remote_s) / statistics.median(local_s), 2),
    }


def _machine() -> str:
    import torch

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, Python {platform.python_version()}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "suite",
        choices=[
            "llm",
            "encoders",
            "speech",
            "loop",
            "hitl",
            "turn",
            "plan",
            "remote",
            "gpu",
            "serve",
            "voice",
            "all",
        ],
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="serve: seconds of load")
    parser.add_argument("--clients", type=int, default=8, help="serve: concurrent clients")
    parser.add_argument("--runs", type=int, default=500, help="runs per timing (loop)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--max-tokens", type=int, default=None, help="new tokens per call (64; gpu: 128)"
    )
    parser.add_argument("--small", action="store_true", help="gpu: a small model, CPU if no GPU")
    parser.add_argument(
        "--diagnose-stream",
        action="store_true",
        help="gpu: only time the stream path step by step (see diagnose_stream)",
    )
    parser.add_argument(
        "--budget", type=float, default=200.0, help="gpu --diagnose-stream: seconds of rounds"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    max_tokens = args.max_tokens or 64
    result: dict[str, Any] = {"machine": _machine()}
    if args.suite in ("llm", "all"):
        result["llm"] = bench_llm(args.rounds, max_tokens)
    if args.suite in ("encoders", "all"):
        result["encoders"] = bench_encoders(args.rounds)
    if args.suite in ("speech", "all"):
        result["speech"] = bench_speech()
    if args.suite in ("loop", "all"):
        result["loop"] = bench_loop(args.runs)
    if args.suite in ("hitl", "all"):
        result["hitl"] = bench_hitl(args.runs)
    if args.suite in ("turn", "all"):
        result["turn"] = bench_turn(args.rounds)
    if args.suite in ("plan", "all"):
        result["plan"] = bench_plan(args.rounds)
    if args.suite in ("remote", "all"):
        result["remote"] = bench_remote(args.rounds, max_tokens)
    if args.suite in ("serve", "all"):
        result["serve"] = bench_serve(args.seconds, args.clients)
    if args.suite in ("voice", "all"):
        result["voice"] = bench_voice(args.rounds)
    if args.suite == "gpu" and args.diagnose_stream:
        diagnosis = diagnose_stream(
            args.rounds, args.max_tokens or 128, small=args.small, budget_s=args.budget
        )
        if args.json:
            print(json.dumps(diagnosis, indent=2))
        return 1 if diagnosis.get("failures") else 0
    if args.suite in ("gpu", "all"):
        result["gpu"] = bench_gpu(args.rounds, args.max_tokens or 128, small=args.small)
    failed = 1 if result.get("gpu", {}).get("failures") else 0
    if args.json:
        print(json.dumps(result, indent=2))
        return failed
    print(f"machine: {result['machine']}")
    if "llm" in result:
        _print_llm(result["llm"])
    for suite in ("encoders", "loop", "hitl", "turn", "plan", "remote"):
        if suite in result:
            print(f"\n{suite}\n| measure | value |\n| --- | --- |")
            for key, value in result[suite].items():
                print(f"| {key} | {value} |")
    if "speech" in result:
        print_speech(result["speech"])
    if "serve" in result:
        print_serve(result["serve"])
    if "voice" in result:
        print_voice(result["voice"])
    if "gpu" in result:
        print_gpu(result["gpu"])
    return failed


def _print_llm(llm: dict[str, Any]) -> None:
    print("| measure | value |\n| --- | --- |")
    print(f"| bare `model.generate` | {llm['bare_generate_tok_s']} tok/s |")
    print(f"| `LocalModel.generate` | {llm['localmodel_generate_tok_s']} tok/s |")
    print(f"| ratio (target >= 0.95) | **{llm['ratio']}** |")
    print(f"| stock LLM load, GGUF (first) | {llm['load_gguf_first_s']} s |")
    print(f"| stock LLM load, cached | {llm['load_cached_s']} s |")
    print(f"| load speed-up | {llm['load_speedup']}x |")
    print(f"({llm['rounds']} interleaved rounds, {llm['tokens_per_call']} tokens each, medians)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
