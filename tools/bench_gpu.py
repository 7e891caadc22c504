"""The `gpu` suite of tools/bench.py: LocalModel on CUDA against bare transformers on a
random ~1B Llama built from a config (no download), a plan that splits it GPU+CPU, and
`--diagnose-stream`, which times where `LocalModel.stream` loses time. Run it through
`python tools/bench.py gpu`; results are in BENCHMARKS.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    value = function()
    return time.perf_counter() - began, value


# -- GPU: LocalModel on CUDA, and a plan that splits it GPU+CPU --------------------------

GPU_CONFIGS: dict[str, dict[str, int]] = {
    # TinyLlama-1.1B's shape (its 32k vocabulary aside): 0.97B parameters
    "1b": {
        "hidden_size": 2048,
        "intermediate_size": 5632,
        "num_hidden_layers": 22,
        "num_attention_heads": 32,
        "num_key_value_heads": 4,
    },
    # --small: the same code path in seconds on a CPU
    "small": {
        "hidden_size": 256,
        "intermediate_size": 688,
        "num_hidden_layers": 6,
        "num_attention_heads": 8,
        "num_key_value_heads": 2,
    },
}


def build_random_llama(folder: Path, shape: dict[str, int], device: str, dtype: Any) -> Any:
    """A random Llama of `shape` with the tests' chat tokenizer (byte-level BPE, ChatML),
    built on `device` and saved to `folder` in `dtype`. Nothing is downloaded. The LM-head
    rows of the special tokens are zeroed, so greedy decoding never ends a turn early and
    every call writes exactly max_new_tokens (random logits of the other 398 tokens beat 0)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from tests.tiny_models import CHAT_TEMPLATE, chat_tokenizer

    tokenizer = chat_tokenizer(["<|im_start|>", "<|im_end|>"], CHAT_TEMPLATE)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        hidden_size=shape["hidden_size"],
        intermediate_size=shape["intermediate_size"],
        num_hidden_layers=shape["num_hidden_layers"],
        num_attention_heads=shape["num_attention_heads"],
        num_key_value_heads=shape["num_key_value_heads"],
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(dtype)
    with torch.no_grad():
        for token in tokenizer.all_special_ids:
            model.lm_head.weight[token] = 0.0
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return config


def _layer_summary(device_map: dict[str, Any]) -> dict[str, str]:
    """Device -> its modules, consecutive decoder layers as ranges ("model.layers.0-10")."""
    groups: dict[str, list[str]] = {}
    for module, target in device_map.items():
        name = f"cuda:{target}" if isinstance(target, int) else str(target)
        items = groups.setdefault(name, [])
        prefix, _, index = module.rpartition(".")
        if index.isdigit() and items and items[-1].startswith(prefix + "."):
            start = items[-1][len(prefix) + 1 :].split("-")[0]
            end = items[-1].rsplit("-", 1)[-1].rsplit(".", 1)[-1]
            if start.isdigit() and end.isdigit() and int(end) + 1 == int(index):
                items[-1] = f"{prefix}.{start}-{index}"
                continue
        items.append(module)
    return {device: ", ".join(modules) for device, modules in groups.items()}


def _layers_on(device_map: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for module, target in device_map.items():
        name = f"cuda:{target}" if isinstance(target, int) else str(target)
        if module.rpartition(".")[2].isdigit():
            counts[name] = counts.get(name, 0) + 1
    return counts


def _setup(small: bool) -> str | tuple[bool, str, Any, dict[str, int], Callable[[], None]]:
    """Where and how the suite runs: (cuda, device, dtype, model shape, a GPU sync), or
    why it is skipped."""
    import torch

    cuda = torch.cuda.is_available()
    if not cuda and not small:
        return "torch.cuda is not available (add --small to run it on the CPU)"
    dtype = torch.float32
    if cuda:
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    return cuda, "cuda" if cuda else "cpu", dtype, GPU_CONFIGS["small" if small else "1b"], sync


def bench_gpu(
    rounds: int, max_tokens: int, *, small: bool = False, split_tokens: int = 64
) -> dict[str, Any]:
    """`LocalModel.generate` and a drained `LocalModel.stream` vs bare transformers
    `model.generate` on CUDA, on a random ~1B Llama built on the GPU (no download), then a
    device plan that caps cuda:0 so the same checkpoint is split GPU+CPU, checked to write
    the same greedy text. `small`: a 6-layer model, on the CPU when there is no GPU (the
    plan then caps the CPU and splits CPU+disk), to check the suite anywhere. Failed
    checks are listed under "failures"."""
    import torch
    from transformers.utils import logging as hf_logging

    from agentsdk import GenerationSettings, LocalModel, Message
    from agentsdk.placement import model_spec, plan_placement
    from agentsdk.placement.devices import format_bytes

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    setup = _setup(small)
    if isinstance(setup, str):
        return {"skipped": setup}
    cuda, device, dtype, shape, sync = setup

    def timed(function: Callable[[], Any]) -> tuple[float, Any]:
        sync()
        started = time.perf_counter()
        value = function()
        sync()
        return time.perf_counter() - started, value

    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if cuda else f"cpu ({platform.machine()})",
        "cuda": torch.version.cuda if cuda else None,
        "transformers": __import__("transformers").__version__,
        "dtype": str(dtype).removeprefix("torch."),
        "config": (
            f"Llama, hidden {shape['hidden_size']}, MLP {shape['intermediate_size']}, "
            f"{shape['num_hidden_layers']} layers, {shape['num_attention_heads']} heads, "
            f"{shape['num_key_value_heads']} KV heads"
        ),
    }
    with tempfile.TemporaryDirectory(prefix="agentsdk-gpu-bench-") as scratch:
        folder = Path(scratch) / "random-llama"
        build_s, config = timed(lambda: build_random_llama(folder, shape, device, dtype))
        if cuda:
            torch.cuda.empty_cache()
        model = LocalModel.from_pretrained(folder, device=device, dtype=dtype)
        parameters = sum(p.numel() for p in model.model.parameters())
        result.update(
            {
                "parameters": parameters,
                "vocab": config.vocab_size,
                "build_and_save_s": round(build_s, 2),
                "load_s": round(model.load_info.seconds, 2),  # type: ignore[union-attr]
            }
        )

        messages = [Message.user("Write a short poem about the sea and the wind.")]
        settings = GenerationSettings(max_tokens=max_tokens)
        inputs = model.tokenizer.apply_chat_template(
            [m.to_dict() for m in messages],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        inputs = {k: v.to(model.device) for k, v in inputs.items()}
        prompt_length = inputs["input_ids"].shape[1]

        def bare() -> tuple[int, str]:
            with torch.inference_mode():
                out = model.model.generate(**inputs, max_new_tokens=max_tokens, do_sample=False)
            new = out[0, prompt_length:]
            return int(new.shape[0]), model.tokenizer.decode(new, skip_special_tokens=True)

        def ours() -> tuple[int, str]:
            response = model.generate(messages, settings=settings)
            return response.usage.output_tokens, response.text

        first_token: list[float] = []

        def streamed() -> tuple[int, str]:
            started = time.perf_counter()
            stream = model.stream(messages, settings=settings)
            parts: list[str] = []
            for delta in stream:
                if not parts:
                    first_token.append(time.perf_counter() - started)
                parts.append(delta)
            return stream.response.usage.output_tokens, "".join(parts)

        def bare_streamed() -> tuple[int, str]:
            """transformers' own way to stream (generate in a thread, TextIteratorStreamer):
            what a drained stream costs without the SDK, to tell the thread's share apart."""
            from transformers import TextIteratorStreamer

            streamer = TextIteratorStreamer(
                model.tokenizer, skip_prompt=True, skip_special_tokens=True
            )

            def work() -> None:
                with torch.inference_mode():
                    model.model.generate(
                        **inputs, max_new_tokens=max_tokens, do_sample=False, streamer=streamer
                    )

            worker = threading.Thread(target=work)
            worker.start()
            text = "".join(streamer)
            worker.join()
            return max_tokens, text  # the streamer does not count tokens

        # Checks are recorded, not asserted, so one run on a lent GPU reports everything;
        # `main` exits non-zero when any failed.
        failures: list[str] = []
        reference = bare()  # warm-up, and the tokens all three must write
        if reference[0] != max_tokens:
            failures.append(f"bare generate wrote {reference[0]} tokens, not {max_tokens}")
        for key, function in (("generate", ours), ("stream", streamed)):  # warm-up
            if function() != reference:
                failures.append(f"LocalModel.{key} wrote other text than bare generate")
        bare_streamed()
        first_token.clear()
        modes = (("bare", bare), ("generate", ours), ("stream", streamed))
        modes += (("bare_stream", bare_streamed),)
        times: dict[str, list[float]] = {key: [] for key, _ in modes}
        for _ in range(rounds):  # interleaved, so drift hits all alike
            for key, function in modes:
                seconds, written = timed(function)
                if written[0] != reference[0]:
                    failures.append(f"{key}: {written[0]} tokens, not {reference[0]}")
                times[key].append(seconds)
        med = {key: statistics.median(values) for key, values in times.items()}
        result.update(
            {
                "rounds": rounds,
                "prompt_tokens": prompt_length,
                "tokens_per_call": max_tokens,
                "bare_generate_tok_s": round(max_tokens / med["bare"], 2),
                "localmodel_generate_tok_s": round(max_tokens / med["generate"], 2),
                "localmodel_stream_tok_s": round(max_tokens / med["stream"], 2),
                "generate_ratio": round(med["bare"] / med["generate"], 3),
                "stream_ratio": round(med["bare"] / med["stream"], 3),
                "bare_textiteratorstreamer_tok_s": round(max_tokens / med["bare_stream"], 2),
                "stream_vs_bare_streamer": round(med["bare_stream"] / med["stream"], 3),
                "stream_first_token_s": round(statistics.median(first_token), 4),
                "bare_s_per_call": round(med["bare"], 3),
            }
        )

        # The same checkpoint split by a plan that caps the first device.
        first = "cuda:0" if cuda else "cpu"
        spec = model_spec(folder)
        whole = plan_placement([spec])["llm"]
        cap = whole.headroom_bytes + whole.weight_bytes // 2
        placement = plan_placement([spec], max_memory={first: cap})["llm"]
        if whole.devices != (first,) or not placement.split or placement.devices[0] != first:
            failures.append(f"the plans: {whole.devices} uncapped, {placement.devices} capped")
        short = GenerationSettings(max_tokens=split_tokens)
        expected = model.generate(messages, settings=short)
        with tempfile.TemporaryDirectory(prefix="agentsdk-offload-") as offload:
            split_s, split = timed(
                lambda: LocalModel.from_pretrained(
                    folder, offload_folder=offload, **placement.loader_options()
                )
            )
            loaded = dict(getattr(split.model, "hf_device_map", {}) or placement.device_map)
            split.generate(messages, settings=GenerationSettings(max_tokens=2))  # warm-up
            seconds, got = timed(lambda: split.generate(messages, settings=short))
        result["split"] = {
            "cap": f"{first} <= {format_bytes(cap)} (whole: {format_bytes(whole.weight_bytes)} "
            f"weights + {format_bytes(whole.headroom_bytes)} headroom)",
            "plan": " + ".join(f"{d} {format_bytes(b)}" for d, b in placement.weights),
            "plan_dtype": placement.dtype,
            "decoder_layers": _layers_on(loaded),
            "modules": _layer_summary(loaded),
            "load_s": round(split_s, 2),
            "tokens": got.usage.output_tokens,
            "tok_s": round(got.usage.output_tokens / seconds, 2),
            "same_greedy_text": got.text == expected.text
            and got.usage.output_tokens == expected.usage.output_tokens,
        }
        if not result["split"]["same_greedy_text"]:
            failures.append(f"split model wrote {got.text!r}, whole model {expected.text!r}")
    result["failures"] = failures
    return result


def diagnose_stream(
    rounds: int, max_tokens: int, *, small: bool = False, budget_s: float = 200.0
) -> dict[str, Any]:
    """Where a drained `LocalModel.stream` loses time against bare `generate`: the same
    random Llama as `bench_gpu`, greedy, `max_tokens` new tokens, timed (GPU synchronised
    around each call, median of `rounds`) in steps from bare `generate` in the main thread
    to `LocalModel.stream`, adding one ingredient of the stream path at a time:

    a  bare generate, main thread (inference_mode)
    a2 a + our streamer (tolist into a list) and Cancelled criterion, no thread
    b  bare generate in a plain worker thread (joined)
    c  b with inference_mode in the worker
    d  c + a streamer whose put() does .tolist() into a queue the main thread drains
    e  d + a Cancelled-style stopping criterion (torch.full on the device, every step)
    f  LocalModel.stream, drained
    g  LocalModel._token_stream drained (the consumer decodes nothing)
    h  f with a candidate worker: cancellation checked in put(), no stopping criterion

    Before them, `_thread_probe` times small loops in the main thread and in a worker.
    Per variant: seconds per call, ms per token, first token (from the start of the call),
    the median and largest gap between tokens as the consumer saw them, the CPU seconds of
    the thread that ran generate and of the whole process. Variants run one after another
    (all rounds of one, then the next) and are printed as they finish; past `budget_s`
    each remaining variant runs once."""
    import queue

    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList
    from transformers.generation.streamers import BaseStreamer
    from transformers.utils import logging as hf_logging

    from agentsdk import GenerationSettings, LocalModel, Message

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    setup = _setup(small)
    if isinstance(setup, str):
        return {"skipped": setup}
    cuda, device, dtype, shape, sync = setup

    worker_threads: list[int] = []

    def probe() -> None:
        worker_threads.append(torch.get_num_threads())

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if cuda else f"cpu ({platform.machine()})",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
        "dtype": str(dtype).removeprefix("torch."),
        "torch_threads_main": torch.get_num_threads(),
        "torch_threads_worker": worker_threads[0],
        "torch_interop_threads": torch.get_num_interop_threads(),
        "switch_interval_s": sys.getswitchinterval(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "thread_trace_or_profile": bool(threading.gettrace() or threading.getprofile()),
        "rounds": rounds,
        "tokens_per_call": max_tokens,
    }
    print(", ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    result["thread_probe"] = _thread_probe(device)

    with tempfile.TemporaryDirectory(prefix="agentsdk-gpu-diag-") as scratch:
        folder = Path(scratch) / "random-llama"
        build_random_llama(folder, shape, device, dtype)
        if cuda:
            torch.cuda.empty_cache()
        model = LocalModel.from_pretrained(folder, device=device, dtype=dtype)
        messages = [Message.user("Write a short poem about the sea and the wind.")]
        settings = GenerationSettings(max_tokens=max_tokens)
        inputs = model._encode(messages, ())
        prompt_length = int(inputs["input_ids"].shape[1])
        result["prompt_tokens"] = prompt_length

        class Call:
            """What one call saw: tokens written, when each reached the consumer (seconds
            from the start of the call), the generating thread's CPU seconds."""

            def __init__(self) -> None:
                self.started = time.perf_counter()
                self.tokens = 0
                self.arrivals: list[float] = []
                self.thread_cpu = 0.0

            def arrived(self, count: int) -> None:
                self.tokens += count
                self.arrivals.append(time.perf_counter() - self.started)

        class ListStreamer(BaseStreamer):
            """Our QueueStreamer's put(), into any sink."""

            def __init__(self, sink: Callable[[list[int]], None]) -> None:
                self.sink = sink
                self.prompt_seen = False

            def put(self, value: Any) -> None:
                if not self.prompt_seen:
                    self.prompt_seen = True
                    return
                self.sink(value.reshape(-1).tolist())

            def end(self) -> None:
                pass

        class Cancelled(StoppingCriteria):
            """Our Cancelled criterion: a new device tensor every step."""

            def __init__(self) -> None:
                self.event = threading.Event()

            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full(
                    (input_ids.shape[0],),
                    self.event.is_set(),
                    dtype=torch.bool,
                    device=input_ids.device,
                )

        def generate(call: Call, inference: bool = True, **extra: Any) -> int:
            kwargs = {**inputs, **extra, **model._generate_kwargs(settings)}
            cpu = time.thread_time()
            if inference:
                with torch.inference_mode():
                    out = model.model.generate(**kwargs)
            else:  # generate's own no_grad only
                out = model.model.generate(**kwargs)
            call.thread_cpu = time.thread_time() - cpu
            return int(out.shape[1]) - prompt_length

        def main_bare() -> Call:
            call = Call()
            call.tokens = generate(call)
            return call

        def main_hooks() -> Call:
            call = Call()
            streamer = ListStreamer(lambda ids: call.arrived(len(ids)))
            generate(call, streamer=streamer, stopping_criteria=StoppingCriteriaList([Cancelled()]))
            return call

        def in_thread(inference: bool) -> Callable[[], Call]:
            def run() -> Call:
                call = Call()

                def work() -> None:
                    call.tokens = generate(call, inference=inference)

                worker = threading.Thread(target=work)
                worker.start()
                worker.join()
                return call

            return run

        def drained(criterion: bool) -> Callable[[], Call]:
            def run() -> Call:
                call = Call()
                tokens: queue.Queue[list[int] | None] = queue.Queue()
                extra: dict[str, Any] = {"streamer": ListStreamer(tokens.put)}
                if criterion:
                    extra["stopping_criteria"] = StoppingCriteriaList([Cancelled()])

                def work() -> None:
                    try:
                        generate(call, **extra)
                    finally:
                        tokens.put(None)

                worker = threading.Thread(target=work)
                worker.start()
                while (ids := tokens.get()) is not None:
                    call.arrived(len(ids))
                worker.join()
                return call

            return run

        original_worker = model._stream_worker

        def measured_worker(call: Call, target: Callable[..., None]) -> Callable[..., None]:
            def run(*args: Any) -> None:
                cpu = time.thread_time()
                try:
                    target(*args)
                finally:
                    call.thread_cpu = time.thread_time() - cpu

            return run

        def localmodel_stream(candidate: bool) -> Callable[[], Call]:
            def run() -> Call:
                call = Call()
                target = _candidate_stream_worker(model) if candidate else original_worker
                model._stream_worker = measured_worker(call, target)  # type: ignore[method-assign]
                try:
                    stream = model.stream(messages, settings=settings)
                    for _delta in stream:
                        call.arrived(0)
                    call.tokens = stream.response.usage.output_tokens
                finally:
                    del model._stream_worker
                return call

            return run

        def token_stream() -> Call:
            call = Call()
            model._stream_worker = measured_worker(call, original_worker)  # type: ignore[method-assign]
            try:
                for ids in model._token_stream(model._encode(messages, ()), settings):
                    call.arrived(len(ids))
            finally:
                del model._stream_worker
            return call

        variants: list[tuple[str, str, Callable[[], Call]]] = [
            ("a", "bare generate, main thread", main_bare),
            ("a2", "a + our streamer and Cancelled, no thread", main_hooks),
            ("b", "bare generate, plain worker thread", in_thread(False)),
            ("c", "b + inference_mode in the worker", in_thread(True)),
            ("d", "c + tolist streamer, queue drained by main", drained(False)),
            ("e", "d + Cancelled criterion (torch.full/step)", drained(True)),
            ("f", "LocalModel.stream, drained", localmodel_stream(False)),
            ("g", "LocalModel._token_stream, no decoding", token_stream),
            ("h", "f, candidate worker (cancel in put)", localmodel_stream(True)),
        ]
        main_bare()  # warm-up: kernels, cuBLAS
        in_thread(True)()  # and the first worker thread's
        started = time.perf_counter()
        rows: dict[str, dict[str, Any]] = {}
        failures: list[str] = []
        print(
            "| variant | what | s/call | ms/token | vs a | first token s | median gap ms "
            "| max gap ms | generate thread CPU s | process CPU s |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            flush=True,
        )
        for key, label, function in variants:
            calls: list[tuple[float, float, Call]] = []
            for index in range(rounds):
                if index and time.perf_counter() - started > budget_s:
                    break
                sync()
                cpu = time.process_time()
                begun = time.perf_counter()
                call = function()
                sync()
                calls.append((time.perf_counter() - begun, time.process_time() - cpu, call))
            for _, _, call in calls:
                if call.tokens != max_tokens:
                    failures.append(f"{key}: {call.tokens} tokens, not {max_tokens}")
            seconds = statistics.median(c[0] for c in calls)
            gaps = [
                b - a
                for _, _, call in calls
                for a, b in zip(call.arrivals, call.arrivals[1:], strict=False)
            ]
            firsts = [call.arrivals[0] for _, _, call in calls if call.arrivals]
            row = {
                "what": label,
                "rounds": len(calls),
                "s_per_call": round(seconds, 3),
                "ms_per_token": round(1000 * seconds / max_tokens, 2),
                "vs_a": round(seconds / rows["a"]["s_per_call"], 2) if rows else 1.0,
                "first_token_s": round(statistics.median(firsts), 4) if firsts else None,
                "median_gap_ms": round(1000 * statistics.median(gaps), 2) if gaps else None,
                "max_gap_ms": round(1000 * max(gaps), 1) if gaps else None,
                "thread_cpu_s": round(statistics.median(c[2].thread_cpu for c in calls), 3),
                "process_cpu_s": round(statistics.median(c[1] for c in calls), 3),
            }
            rows[key] = row
            print(
                f"| {key} | {label} | {row['s_per_call']} | {row['ms_per_token']} "
                f"| {row['vs_a']} | {row['first_token_s']} | {row['median_gap_ms']} "
                f"| {row['max_gap_ms']} | {row['thread_cpu_s']} | {row['process_cpu_s']} |",
                flush=True,
            )
        result["variants"] = rows
        result["failures"] = failures
        for failure in failures:
            print(f"FAILED: {failure}", flush=True)
    return result


def _thread_probe(device: str) -> dict[str, dict[str, float]]:
    """Small loops timed in the main thread and in a fresh worker thread (best of 3), to
    tell which kind of work a thread makes slower: Python bytecode, a tiny torch op on
    `device`, a device allocation, or CPU tensors of 64 KiB (C malloc and free)."""
    import torch

    x = torch.zeros(1, device=device)

    def python_loop() -> None:
        total = 0
        for i in range(300_000):
            total += i

    def device_op() -> None:
        for _ in range(2000):
            x.add_(1)
        if device == "cuda":
            torch.cuda.synchronize()

    def device_alloc() -> None:
        for _ in range(2000):
            torch.empty(1024, device=device)
        if device == "cuda":
            torch.cuda.synchronize()

    def cpu_malloc() -> None:
        for _ in range(2000):
            torch.empty(16384)

    def best(function: Callable[[], None]) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
        return min(times)

    probes = {
        "python loop, 300k iterations": python_loop,
        f"2000 x add_ on a 1-element {device} tensor": device_op,
        f"2000 x torch.empty(1024) on {device}": device_alloc,
        "2000 x torch.empty(16384) on cpu (64 KiB)": cpu_malloc,
    }
    rows: dict[str, dict[str, float]] = {}
    print("| probe | main thread ms | worker thread ms | worker / main |")
    print("| --- | --- | --- | --- |")
    for name, function in probes.items():
        function()  # warm-up
        in_worker: list[float] = []
        thread = threading.Thread(
            target=lambda f=function, sink=in_worker: sink.append(best(f))  # type: ignore[misc]
        )
        main_s = best(function)
        thread.start()
        thread.join()
        main_ms, worker_ms = round(1000 * main_s, 2), round(1000 * in_worker[0], 2)
        rows[name] = {"main_ms": main_ms, "worker_ms": worker_ms}
        ratio = in_worker[0] / main_s if main_s else float("nan")
        print(f"| {name} | {main_ms} | {worker_ms} | {ratio:.2f} |")
    print(flush=True)
    return rows


def _candidate_stream_worker(model: Any) -> Callable[..., None]:
    """A `LocalModel._stream_worker` without the per-step stopping criterion: the
    streamer's put() checks the cancel flag and ends `generate` by raising."""
    import torch
    from transformers.generation.streamers import BaseStreamer

    class _Stop(Exception):
        pass

    def worker(
        inputs: Any, settings: Any, tokens: Any, cancelled: threading.Event, processor: Any = None
    ) -> None:
        class QueueStreamer(BaseStreamer):
            prompt_seen = False

            def put(self, value: Any) -> None:
                if cancelled.is_set():
                    raise _Stop
                if not self.prompt_seen:
                    self.prompt_seen = True
                    return
                tokens.put(value.reshape(-1).tolist())

            def end(self) -> None:
                pass

        extra: dict[str, Any] = {"logits_processor": [processor]} if processor is not None else {}
        try:
            with model._lock, torch.inference_mode():
                model._seed(settings)
                model._model.generate(
                    **inputs, **model._generate_kwargs(settings), **extra, streamer=QueueStreamer()
                )
        except _Stop:
            pass
        except BaseException as exc:
            tokens.put(exc)
        finally:
            tokens.put(None)

    return worker


def print_gpu(gpu: dict[str, Any]) -> None:
    print("\ngpu")
    if "skipped" in gpu:
        print(f"skipped: {gpu['skipped']}")
        return
    print(f"{gpu['device']}, CUDA {gpu['cuda']}, transformers {gpu['transformers']}")
    print(f"random {gpu['config']}, vocab {gpu['vocab']}: {gpu['parameters']:,} parameters")
    print("| measure | value |\n| --- | --- |")
    print(f"| bare `model.generate` | {gpu['bare_generate_tok_s']} tok/s |")
    print(f"| `LocalModel.generate` | {gpu['localmodel_generate_tok_s']} tok/s |")
    print(f"| `LocalModel.stream`, drained | {gpu['localmodel_stream_tok_s']} tok/s |")
    print(f"| generate ratio (target >= 0.95) | **{gpu['generate_ratio']}** |")
    print(f"| stream ratio (target >= 0.95) | **{gpu['stream_ratio']}** |")
    print(f"| stream, first delta | {gpu['stream_first_token_s']} s |")
    print(
        "| bare streaming (generate in a thread + `TextIteratorStreamer`) | "
        f"{gpu['bare_textiteratorstreamer_tok_s']} tok/s |"
    )
    print(f"| `LocalModel.stream` vs bare streaming | {gpu['stream_vs_bare_streamer']} |")
    print(f"| build + save checkpoint | {gpu['build_and_save_s']} s |")
    print(f"| `LocalModel.from_pretrained` | {gpu['load_s']} s |")
    print(
        f"({gpu['rounds']} interleaved rounds, {gpu['prompt_tokens']}-token prompt, "
        f"{gpu['tokens_per_call']} new tokens each, greedy, {gpu['dtype']}, medians; "
        "ratio = bare time / ours)"
    )
    split = gpu["split"]
    print("\nsplit by a plan\n| measure | value |\n| --- | --- |")
    print(f"| cap | {split['cap']} |")
    print(f"| plan | {split['plan']} ({split['plan_dtype']}) |")
    layers = ", ".join(f"{device} {count}" for device, count in split["decoder_layers"].items())
    print(f"| decoder layers | {layers} |")
    for device, modules in split["modules"].items():
        print(f"| on {device} | {modules} |")
    print(f"| split load | {split['load_s']} s |")
    print(f"| split generate | {split['tok_s']} tok/s ({split['tokens']} tokens) |")
    print(f"| same greedy text as the whole model | **{split['same_greedy_text']}** |")
    for failure in gpu["failures"]:
        print(f"FAILED: {failure}")
