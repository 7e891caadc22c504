"""`LocalModel`: a chat model running in this process on transformers.

Loads safetensors checkpoints and GGUF files (converted once to safetensors and cached,
see `gguf_cache`), renders conversations with the tokenizer's own chat template, stops
on end-of-turn tokens, stop strings and `max_tokens`, and streams tokens from a worker
thread. torch and transformers are imported on first use, so `import agentsdk` stays
light.

With tools, generation is grammar-constrained by default (`constrained_tools=True`, see
`agentsdk.models.toolcalls`): the prompt gets a short system section listing the
tools; when a `tool_ranker` is set, it chooses between answering and each tool first,
else the model chooses as it writes; either way the JSON is written under an xgrammar
grammar, so a tool call always has schema-valid arguments. Stop strings do not apply
there (they would cut the JSON), the chosen opening counts against `max_tokens`, and
`stream` yields the answer's text token by token as the JSON string is written,
unescaped (a tool call yields nothing). With `constrained_tools=False`, tools are passed
to the chat template and tool calls the model writes as JSON are parsed when they happen
to be well formed.

`from_pretrained(..., adapter=FOLDER)` applies a LoRA adapter that `agentsdk.learn`
trained (a peft folder plus `agentsdk-adapter.json`, which names the base model it was
made for): it is checked against this checkpoint, loaded with peft and merged into the
weights, so generation runs at the base model's speed (`agentsdk.models.adapters`). With
`adapter_scope="trained"` (the default) a reply is written with the adapted weights only
when its prompt lists a tool the adapter learned from (or none, when it learned from
such prompts); every other reply, and the extractive reader's likelihoods, use the base
weights. Each adapted model is its own copy of the weights, with its own prompt cache
(`_prompt_cache` only ever holds keys and values of the weights likelihoods read with).
"""

from __future__ import annotations

import json
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agentsdk.errors import (
    ConfigurationError,
    GenerationError,
    MissingDependencyError,
    ModelLoadError,
    ModelNotFoundError,
)
from agentsdk.messages import Message, ToolCall
from agentsdk.models.adapters import (
    AdapterScope,
    AdapterWeights,
    ScopeMode,
    apply_adapter,
    check_adapter,
    check_scope,
)
from agentsdk.models.base import (
    FinishReason,
    GenerationSettings,
    ModelResponse,
    ModelStream,
    ToolSchema,
    Usage,
)
from agentsdk.models.control_tokens import ControlTokens
from agentsdk.models.gguf_cache import cached_checkpoint

if TYPE_CHECKING:
    import torch

    from agentsdk.models.extractive import Template
    from agentsdk.models.toolcalls import ToolGrammars, ToolRanker, ToolSpec

__all__ = ["LoadInfo", "LocalModel"]


# End-of-turn markers of common chat formats, used as extra EOS ids when the vocabulary has them.
_END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>")
_TOOL_CALL_TAG = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class LoadInfo:
    """How a `LocalModel` was loaded."""

    checkpoint: Path
    """The safetensors checkpoint folder the weights came from."""
    source: Literal["checkpoint", "gguf-converted", "gguf-cache"]
    """A plain checkpoint, a GGUF file converted during this load, or one converted before."""
    seconds: float
    """Wall time of the whole load, conversion included."""
    gguf_file: Path | None = None
    adapter: Path | None = None
    """The LoRA adapter folder merged into the weights, if any."""
    adapter_scope: ScopeMode | None = None
    """Where the adapter applies ("trained" or "all"; None without an adapter)."""


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a core dependency
        raise MissingDependencyError("LocalModel needs torch: pip install agentsdk") from exc
    return torch


def _resolve_dtype(device: str, dtype: Any) -> Any:
    torch = _torch()
    if dtype is None or dtype == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if isinstance(dtype, str):
        resolved = getattr(torch, dtype, None)
        if not isinstance(resolved, torch.dtype):
            raise ConfigurationError(f"unknown dtype {dtype!r}; use e.g. 'float32', 'bfloat16'")
        return resolved
    return dtype


def _dispatch_options(
    device_map: Mapping[str, str | int], offload_folder: str | Path | None
) -> dict[str, Any]:
    """transformers' `from_pretrained` arguments for an explicit device map."""
    mapped: dict[str, str | int] = {}
    for module, target in device_map.items():
        name = str(target)
        if isinstance(target, int) or name.isdigit():
            mapped[module] = int(name)
        elif name.startswith("cuda:"):
            mapped[module] = int(name.split(":", 1)[1])
        elif name in ("cpu", "disk"):
            mapped[module] = name
        else:
            raise ConfigurationError(
                f"device_map puts {module!r} on {target!r}: use 'cuda:N', 'cpu' or 'disk'"
            )
    options: dict[str, Any] = {"device_map": mapped}
    if "disk" in mapped.values():
        folder = offload_folder or tempfile.mkdtemp(prefix="agentsdk-offload-")
        options["offload_folder"] = str(folder)
    return options


def _input_device(model: Any) -> Any:
    """The device a (possibly dispatched) model takes its inputs on."""
    weight = model.get_input_embeddings().weight
    if weight.device.type != "meta":
        return weight.device
    hook = getattr(model.get_input_embeddings(), "_hf_hook", None)  # offloaded embeddings
    execution = getattr(hook, "execution_device", None)
    torch = _torch()
    return torch.device(execution if execution is not None else "cpu")


class LocalModel:
    """A transformers causal LM with its tokenizer, behind the `ChatModel` protocol."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        load_info: LoadInfo | None = None,
        constrained_tools: bool = True,
        tool_ranker: ToolRanker | None = None,
        tool_candidates: int = 1,
        grounded: bool | Literal["auto"] = False,
        adapter_weights: AdapterWeights | None = None,
    ) -> None:
        if getattr(tokenizer, "chat_template", None) is None:
            raise ConfigurationError(
                f"the tokenizer of {name!r} has no chat template; LocalModel needs a chat model"
            )
        self._model = model
        self._tokenizer = tokenizer
        self._control = ControlTokens.of(tokenizer)
        self._name = name
        self.load_info = load_info
        self._lock = threading.Lock()
        self._eos_ids = self._end_ids()
        pad = tokenizer.pad_token_id
        self._pad_id = pad if pad is not None else self._eos_ids[0]
        if tool_candidates < 1:
            raise ConfigurationError("tool_candidates must be at least 1")
        self.constrained_tools = constrained_tools
        """With tools, constrain the reply to an answer or a schema-valid tool call."""
        self.tool_ranker = tool_ranker
        """Scores tools against the last user request (e.g.
        `EmbeddingToolRanker.stock()`). Only the `tool_candidates` best are offered; with
        a threshold, none under it is, and the ranker decides: the single tool offered
        is called, no tool means a plain answer. A tool already called since the last
        user message is not offered again."""
        self.tool_candidates = tool_candidates
        """How many of the ranker's best tools are offered (1: the ranker picks)."""
        self.grounded = grounded
        """Whether replies are grounded when `GenerationSettings.grounded` is None: answers
        and calls chosen from what was read (`agentsdk.models.extractive`), numbers only
        from the evidence (`agentsdk.models.grounding`). True: always; "auto": when a
        request comes with `sources` (an agent that read an image or a document), and
        in a text-only turn a calculation over the request's own numbers is chosen too,
        and a tool's result is the answer; False: never."""
        self._adapter = adapter_weights
        self._grammars: ToolGrammars | None = None
        self._prompt_cache: tuple[tuple[int, ...], Any] | None = None
        self._embeddings: dict[str, Any] = {}
        self._embeddings_lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        gguf_file: str | None = None,
        device: str = "cpu",
        dtype: Any = None,
        device_map: Mapping[str, str | int] | None = None,
        offload_folder: str | Path | None = None,
        cache_dir: Path | None = None,
        name: str | None = None,
        constrained_tools: bool = True,
        tool_ranker: ToolRanker | None = None,
        tool_candidates: int = 1,
        grounded: bool | Literal["auto"] = False,
        adapter: str | Path | None = None,
        adapter_scope: ScopeMode = "trained",
    ) -> LocalModel:
        """Load a local checkpoint folder, or a GGUF file (a path ending in .gguf, or a
        folder plus `gguf_file=`). Never downloads.

        `device_map` (module -> "cuda:N", "cpu" or "disk", as a split `Placement` of
        `agentsdk.placement` gives it) dispatches the model across devices with accelerate
        instead of moving it to `device`; "disk" entries go to `offload_folder` (default:
        a new temporary folder).

        `adapter`: a LoRA adapter folder made by `agentsdk.learn` for this base model,
        merged into the weights (ConfigurationError if it was made for another base);
        the model's name gets `+<folder name>`. `adapter_scope`: "trained" (the adapter
        writes only replies whose prompt is like the ones it learned from, see
        `agentsdk.models.adapters`) or "all" (every reply)."""
        started = time.perf_counter()
        adapter = Path(adapter).expanduser() if adapter is not None else None
        if adapter is not None and device_map and "disk" in map(str, device_map.values()):
            raise ConfigurationError(
                "an adapter cannot be merged into weights offloaded to disk: "
                "place the model on GPUs and the CPU only"
            )
        path = Path(path).expanduser()
        if gguf_file is None and path.suffix == ".gguf":
            path, gguf_file = path.parent, path.name
        gguf_path = path / gguf_file if gguf_file else None
        if gguf_path is not None:
            checkpoint, converted = cached_checkpoint(gguf_path, cache_dir)
            source: Literal["checkpoint", "gguf-converted", "gguf-cache"] = (
                "gguf-converted" if converted else "gguf-cache"
            )
        else:
            if not (path / "config.json").is_file():
                raise ModelNotFoundError(
                    f"no model at {path}: expected a folder with config.json and weights, "
                    "or a .gguf file"
                )
            checkpoint, source = path, "checkpoint"
        if adapter is not None:
            adapter_scope = check_scope(adapter_scope)
            check_adapter(adapter, checkpoint)
        dispatch: dict[str, Any] = {}
        if device_map:
            dispatch = _dispatch_options(device_map, offload_folder)
            device = next((str(d) for d in device_map.values() if str(d).startswith("cuda")), "cpu")
        torch_dtype = _resolve_dtype(device, dtype)
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                checkpoint, dtype=torch_dtype, local_files_only=True, **dispatch
            )
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelLoadError(f"could not load {checkpoint}: {exc}") from exc
        if not dispatch:  # a dispatched model stays where accelerate put it
            model.to(device)  # type: ignore[arg-type]
        weights = None
        if adapter is not None:  # on its device: the kept base weights are where it runs
            model, weights = apply_adapter(model, adapter, adapter_scope)
        model.eval()  # type: ignore[no-untyped-call]
        info = LoadInfo(
            checkpoint,
            source,
            time.perf_counter() - started,
            gguf_path,
            adapter,
            adapter_scope if adapter is not None else None,
        )
        label = name or (Path(gguf_file).stem if gguf_file else path.name)
        if adapter is not None:
            label = f"{label}+{adapter.name}"
        return cls(
            model,
            tokenizer,
            name=label,
            load_info=info,
            constrained_tools=constrained_tools,
            tool_ranker=tool_ranker,
            tool_candidates=tool_candidates,
            grounded=grounded,
            adapter_weights=weights,
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def remote(self) -> bool:
        """Always False: the model runs in this process."""
        return False

    @property
    def model(self) -> Any:
        """The underlying transformers model."""
        return self._model

    @property
    def tokenizer(self) -> Any:
        """The underlying tokenizer."""
        return self._tokenizer

    @property
    def device(self) -> torch.device:
        """Where inputs go: the input embeddings' device (a split model's first device)."""
        device: torch.device = _input_device(self._model)
        return device

    @property
    def adapter_scope(self) -> AdapterScope | None:
        """What the adapter applies to, when it applies only there (None: no adapter, or
        one used for every reply)."""
        return self._adapter.scope if self._adapter is not None else None

    def _adapted(self, listed: Sequence[str]) -> bool:
        """Whether a reply whose prompt lists the tools `listed` uses the adapter."""
        return self._adapter is None or self._adapter.scope.applies(listed)

    def _use_adapter(self, adapted: bool) -> None:
        """Point the adapted layers at the adapted or the base weights (lock held)."""
        if self._adapter is not None:
            self._adapter.use(adapted)

    def count_tokens(self, text: str) -> int:
        """Tokens in `text` by this model's tokenizer (no special tokens)."""
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    # -- generation ------------------------------------------------------------------

    def generate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelResponse:
        settings = settings or GenerationSettings()
        self._check_text_only(messages)
        if (tools and self.constrained_tools) or self._grounding(settings):
            return self._generate_constrained(messages, tools, settings)
        inputs = self._encode(messages, tools)
        prompt_length = inputs["input_ids"].shape[1]
        adapted = self._adapted(_tool_names(tools))
        torch = _torch()
        try:
            with self._lock, torch.inference_mode():
                self._use_adapter(adapted)
                self._seed(settings)
                output = self._model.generate(**inputs, **self._generate_kwargs(settings))
        except (RuntimeError, ValueError, IndexError) as exc:
            raise GenerationError(f"{self._name} failed while generating: {exc}") from exc
        new_ids: list[int] = output[0, prompt_length:].tolist()
        text = self._visible_text(new_ids, settings)
        return self._response(text, new_ids, prompt_length, settings, tools)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelStream:
        settings = settings or GenerationSettings()
        self._check_text_only(messages)
        if (tools and self.constrained_tools) or self._grounding(settings):
            return ModelStream(self._stream_constrained(messages, tools, settings))
        inputs = self._encode(messages, tools)
        return ModelStream(self._stream(inputs, settings, tools))

    def _stream(
        self, inputs: Any, settings: GenerationSettings, tools: Sequence[ToolSchema]
    ) -> Generator[str, None, ModelResponse]:
        prompt_length = inputs["input_ids"].shape[1]
        new_ids: list[int] = []
        emitted = ""
        adapted = self._adapted(_tool_names(tools))
        for ids in self._token_stream(inputs, settings, adapted=adapted):
            new_ids.extend(ids)
            text = self._visible_text(new_ids, settings)
            stable = text[: _stable_length(text, settings.stop)]
            if len(stable) > len(emitted) and stable.startswith(emitted):
                yield stable[len(emitted) :]
                emitted = stable
        text = self._visible_text(new_ids, settings)
        if len(text) > len(emitted) and text.startswith(emitted):
            yield text[len(emitted) :]
            emitted = text
        return self._response(emitted, new_ids, prompt_length, settings, tools)

    def _token_stream(
        self,
        inputs: Mapping[str, Any],
        settings: GenerationSettings,
        processor: Any = None,
        *,
        adapted: bool = True,
    ) -> Generator[list[int], None, None]:
        """New token ids as `generate` produces them, from a worker thread; closing the
        generator stops the generation. `adapted`: with the adapter's weights (when the
        model has one that applies only where it learned)."""
        tokens: queue.Queue[list[int] | BaseException | None] = queue.Queue()
        cancelled = threading.Event()
        worker = threading.Thread(
            target=self._stream_worker,
            args=(inputs, settings, tokens, cancelled, processor, adapted),
            name=f"agentsdk-generate-{self._name}",
            daemon=True,
        )
        worker.start()
        try:
            while (item := tokens.get()) is not None:
                if isinstance(item, BaseException):
                    raise GenerationError(f"{self._name} failed while generating: {item}") from item
                yield item
        finally:
            cancelled.set()
            worker.join()

    def _stream_worker(
        self,
        inputs: Mapping[str, Any],
        settings: GenerationSettings,
        tokens: queue.Queue[list[int] | BaseException | None],
        cancelled: threading.Event,
        processor: Any = None,
        adapted: bool = True,
    ) -> None:
        from transformers import StoppingCriteria, StoppingCriteriaList
        from transformers.generation.streamers import BaseStreamer

        class QueueStreamer(BaseStreamer):
            prompt_seen = False

            def put(self, value: Any) -> None:
                if not self.prompt_seen:  # the first call carries the prompt
                    self.prompt_seen = True
                    return
                tokens.put(value.reshape(-1).tolist())

            def end(self) -> None:
                pass

        class Cancelled(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                torch = _torch()
                return torch.full(
                    (input_ids.shape[0],),
                    cancelled.is_set(),
                    dtype=torch.bool,
                    device=input_ids.device,
                )

        torch = _torch()
        extra: dict[str, Any] = {"logits_processor": [processor]} if processor is not None else {}
        try:
            with self._lock, torch.inference_mode():
                self._use_adapter(adapted)
                self._seed(settings)
                self._model.generate(
                    **inputs,
                    **self._generate_kwargs(settings),
                    **extra,
                    streamer=QueueStreamer(),
                    stopping_criteria=StoppingCriteriaList([Cancelled()]),
                )
        except BaseException as exc:  # handed to the consumer, which raises it
            tokens.put(exc)
        finally:
            tokens.put(None)

    # -- constrained tool calls ------------------------------------------------------

    def _stream_constrained(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema], settings: GenerationSettings
    ) -> Generator[str, None, ModelResponse]:
        return self._constrained(messages, tools, settings, streaming=True)

    def tool_grammars(self) -> ToolGrammars:
        """The compiled-grammar cache of this model's tokenizer (created on first use)."""
        from agentsdk.models.toolcalls import ToolGrammars

        with self._lock:
            if self._grammars is None:
                self._grammars = ToolGrammars(
                    self._tokenizer,
                    vocab_size=int(self._model.config.vocab_size),
                    stop_ids=self._eos_ids,
                )
            return self._grammars

    def _generate_constrained(
        self, messages: Sequence[Message], tools: Sequence[ToolSchema], settings: GenerationSettings
    ) -> ModelResponse:
        return ModelStream(self._constrained(messages, tools, settings, streaming=False)).response

    def _constrained(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSchema],
        settings: GenerationSettings,
        *,
        streaming: bool,
    ) -> Generator[str, None, ModelResponse]:
        """A constrained reply; when `streaming`, the answer's text is yielded as it is
        written (a tool call yields nothing)."""
        from agentsdk.models.toolcalls.grammar import (
            REPETITION_PENALTY,
            answer_opening,
            call_opening,
        )
        from agentsdk.models.toolcalls.prompt import (
            parse_reply,
            partial_answer,
            prepare_conversation,
        )
        from agentsdk.models.toolcalls.schema import (
            answer_schema,
            call_schema,
            named_enums,
            reply_schema,
            tool_specs,
        )

        if not messages:
            raise ConfigurationError("cannot generate from an empty conversation")
        specs = tool_specs(tools)
        offered, decided = self._offer_tools(messages, specs)
        if self._grounding(settings) or self._reads_requests(settings):
            chosen = self._extract(messages, tools, offered if decided else None, settings)
            if chosen is not None:
                if streaming and chosen.text:
                    yield chosen.text
                return chosen
        answer = not (decided and offered)  # the ranker found a relevant tool: call it
        conversation = prepare_conversation(messages, offered, answer=answer)
        adapted = self._adapted([spec.name for spec in offered])
        inputs = self._encode_conversation(conversation)
        prompt_length = int(inputs["input_ids"].shape[1])
        if decided and len(offered) == 1:  # the ranker chose the tool: the reply starts so
            schema, prefix = call_schema(offered[0]), call_opening(offered[0].name)
        elif not offered:  # nothing relevant (or nothing left) to call: answer
            schema, prefix = answer_schema(), answer_opening()
        else:  # the model chooses as it writes, under the grammar of every option
            schema, prefix = reply_schema(offered, answer=answer), ""
        schema = named_enums(schema, _last_request(messages))
        if self._grounding(settings):
            from agentsdk.models.grounding import ground_reply

            schema = ground_reply(schema, messages, evidence=settings.evidence)

        grammars = self.tool_grammars()
        compiled = grammars.compile(schema)
        penalty = settings.repetition_penalty or REPETITION_PENALTY
        plain = GenerationSettings(
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            top_p=settings.top_p,
            top_k=settings.top_k,
            seed=settings.seed,
        )
        opening = self.count_tokens(prefix)  # the chosen opening counts against max_tokens
        usage = Usage()
        text = emitted = ""
        for attempt in range(2):  # a reply cut short is retried once with twice the budget
            budget = max(1, settings.max_tokens * (attempt + 1) - opening)
            plain = replace(plain, max_tokens=budget)
            processor = grammars.processor(
                compiled, max_new_tokens=budget, repetition_penalty=penalty, prefix=prefix
            )
            if not streaming:
                new_ids = self._run_constrained(inputs, prefix, plain, processor, adapted)
            else:
                new_ids = []
                prompt = self._with_prefix(inputs, prefix)
                for ids in self._token_stream(prompt, plain, processor, adapted=adapted):
                    new_ids.extend(ids)
                    so_far = partial_answer(prefix + self._tokenizer.decode(new_ids))
                    if so_far and len(so_far) > len(emitted) and so_far.startswith(emitted):
                        yield so_far[len(emitted) :]
                        emitted = so_far
            text = prefix + self._tokenizer.decode(new_ids, skip_special_tokens=True)
            usage = usage + Usage(prompt_length, len(new_ids) + opening)
            parsed = parse_reply(text, specs)
            if parsed is None:
                continue
            if parsed.call is not None:
                return ModelResponse("", (parsed.call,), usage, "tool_calls", self._name)
            if streaming and parsed.text.startswith(emitted) and parsed.text != emitted:
                yield parsed.text[len(emitted) :]
            reason: FinishReason = "length" if processor.forced else "stop"
            return ModelResponse(parsed.text, (), usage, reason, self._name)
        return ModelResponse(text, (), usage, "length", self._name)

    def _reads_requests(self, settings: GenerationSettings) -> bool:
        """Whether a text-only turn's reply is chosen as well (grounded "auto"): a
        calculation over the request's own numbers, and the tool's result as the answer."""
        return settings.grounded is None and self.grounded == "auto"

    def _grounding(self, settings: GenerationSettings) -> bool:
        if settings.grounded is not None:
            return settings.grounded
        if self.grounded != "auto":
            return bool(self.grounded)
        return any(text.strip() for text in settings.sources or ())

    # -- extractive replies (agentsdk.models.extractive) -----------------------------

    def chat_prompt(self, user: str) -> str:
        """`user` as one user turn of this model's chat template, ready for the reply."""
        text: str = self._tokenizer.apply_chat_template(
            [{"role": "user", "content": self._control.defuse(user)}],
            tokenize=False,
            add_generation_prompt=True,
        )
        return text

    def likelihoods(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """The mean log-probability per token of each continuation after `prompt`: the
        prompt is read once and its cached keys and values serve every continuation,
        scored in batches of `LIKELIHOOD_BATCH`. The prompt's start that the previous
        prompt shared (the lines read and the request, asked about twice) is not read
        again: its keys and values are kept (`_prompt_cache`)."""
        import copy

        torch = _torch()
        if not continuations:
            return []
        tokenizer, model = self._tokenizer, self._model
        prompt_ids = tokenizer.encode(prompt, add_special_tokens=False)
        encoded = [
            tokenizer.encode(t, add_special_tokens=False) or [self._pad_id] for t in continuations
        ]
        with self._lock, torch.inference_mode():
            self._use_adapter(False)  # the reader reads with the base's weights
            past, last = self._read_prompt(prompt_ids)
            first = torch.log_softmax(last, -1)
            scores = [float(first[tokens[0]]) for tokens in encoded]  # one token: done
            # a continuation's last token is only scored, never read: the inputs are the
            # rest, batched by length so that little of a batch is padding
            rest = [tokens[:-1] for tokens in encoded]
            for group in length_batches([len(r) for r in rest], max_rows=LIKELIHOOD_BATCH):
                width = max(len(rest[i]) for i in group)
                ids = torch.full((len(group), width), self._pad_id, dtype=torch.long)
                mask = torch.zeros((len(group), len(prompt_ids) + width), dtype=torch.long)
                mask[:, : len(prompt_ids)] = 1
                for row, index in enumerate(group):
                    ids[row, : len(rest[index])] = torch.tensor(rest[index])
                    mask[row, len(prompt_ids) : len(prompt_ids) + len(rest[index])] = 1
                cache = copy.deepcopy(past)
                cache.batch_repeat_interleave(len(group))
                logits = model(
                    ids.to(self.device),
                    attention_mask=mask.to(self.device),
                    past_key_values=cache,
                    use_cache=True,
                ).logits.float()
                logprobs = torch.log_softmax(logits, -1)
                for row, index in enumerate(group):
                    tokens = encoded[index]
                    for i in range(1, len(tokens)):
                        scores[index] += float(logprobs[row, i - 1, tokens[i]])
            scores = [total / len(tokens) for total, tokens in zip(scores, encoded, strict=True)]
        return scores

    def _read_prompt(self, prompt_ids: list[int]) -> tuple[Any, Any]:
        """The model's keys and values after `prompt_ids` and its logits for the next
        token, reading only what follows the part shared with the previous prompt read
        here (at least `PROMPT_REUSE_MIN` tokens). Call with the lock held."""
        import copy

        torch = _torch()
        start, past = 0, None
        kept = self._prompt_cache
        if kept is not None:
            ids, cache = kept
            shared = 0
            for a, b in zip(ids, prompt_ids, strict=False):
                if a != b:
                    break
                shared += 1
            shared = min(shared, len(prompt_ids) - 1)  # one token read gives the logits
            if shared >= PROMPT_REUSE_MIN:
                start, past = shared, copy.deepcopy(cache)
                if len(ids) > shared:
                    past.crop(shared - len(ids))  # drop what differs (a negative count)
        out = self._model(
            torch.tensor([prompt_ids[start:]], device=self.device),
            past_key_values=past,
            use_cache=True,
            logits_to_keep=1,
        )
        self._prompt_cache = (tuple(prompt_ids), out.past_key_values)
        return out.past_key_values, out.logits[0, -1].float()

    def _extract(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSchema],
        chosen_tools: tuple[ToolSpec, ...] | None,
        settings: GenerationSettings,
    ) -> ModelResponse | None:
        """An extractive reply when something was read this turn and the choice can be
        made here (see `agentsdk.models.extractive`); None to generate instead.
        `chosen_tools`: the tools the ranker settled on (None when it did not decide)."""
        from agentsdk.models import extractive as x

        ranker = self.tool_ranker
        embed = getattr(ranker, "embed", None)
        if embed is None:
            return None
        last = messages[-1]
        if last.role == "tool":  # after tool results: the answer is the result
            if last.content.startswith("Error") or not last.content.strip():
                return None
            return self._extracted(last.content.strip(), (), last.content)
        if chosen_tools is None or last.role != "user":
            return None
        request = settings.request or (last.content,)
        question = " ".join(part.strip() for part in request if part.strip())
        reader = _Reader(self, embed)
        counts = x.request_counts(request)
        every = [t for group in x.templates_of(tools).values() for t in group]
        if not any(text.strip() for text in settings.sources or ()):
            return self._from_request(question, every, chosen_tools, counts, reader)
        lines = x.source_lines(settings.sources or (), request)
        if not question or not lines:
            return None
        ranked = x.rank_spans(question, lines, reader)
        if not ranked:
            return None
        prompt = x.reading_prompt(lines, question)
        named = x.named_lines(question, lines)
        if chosen_tools:  # the ranker chose this tool: fill one of its templates
            templates = [t for t in every if t.tool == chosen_tools[0].name]
        else:
            # no tool seemed relevant, but a number may still need computing: only
            # tools that can restate a value compute here (a tool that acts is called
            # only when the ranker chose it)
            computing = {t.tool for t in every if x.reads_one_value(t)}
            templates = [t for t in every if t.tool in computing]
            if ranked[0].kind != "number":  # words: computing only from named values
                templates = [t for t in templates if x.value_slots(t) >= 2 or t.reads]
        choice = x.choose_template(question, templates, reader, counts, lines)
        arguments = (
            x.fill_template(choice.template, ranked, counts, lines, named) if choice else None
        )
        if choice is None or arguments is None:
            if chosen_tools:
                return None  # no template fits: the grammar writes the arguments
            return self._extracted(ranked[0].text, (), prompt)
        if choice.template.reads:
            return self._extracted(ranked[0].text, (), prompt)  # the value is the answer
        return self._extracted("", (ToolCall(choice.template.tool, arguments),), prompt)

    def _from_request(
        self,
        question: str,
        templates: Sequence[Template],
        chosen_tools: tuple[ToolSpec, ...],
        counts: Sequence[str],
        reader: _Reader,
    ) -> ModelResponse | None:
        """A call computed from the numbers of a text-only request: a template whose
        every slot is one of them, of the tool the ranker chose, or, when it chose none
        and the request holds two numbers or more, of a tool that computes (one with a
        `reads` template: "Multiply 12 by 3" scored under the ranker's floor); None to
        generate."""
        from agentsdk.models import extractive as x

        if not question:
            return None
        if chosen_tools:
            tools, floor = {chosen_tools[0].name}, -1.0
        elif len(counts) >= 2:
            tools, floor = {t.tool for t in templates if x.reads_one_value(t)}, x.COMPUTE_FLOOR
        else:
            return None
        mine = [t for t in templates if t.tool in tools]
        choice = x.choose_computation(question, mine, reader, counts)
        if choice is None or choice.similarity < floor:
            return None
        arguments = x.fill_template(choice.template, (), counts, ())
        if arguments is None:
            return None
        return self._extracted("", (ToolCall(choice.template.tool, arguments),), question)

    def _extracted(self, text: str, calls: tuple[ToolCall, ...], prompt: str) -> ModelResponse:
        written = text or "".join(c.name + json.dumps(dict(c.arguments)) for c in calls)
        usage = Usage(self.count_tokens(prompt), self.count_tokens(written))
        reason: FinishReason = "tool_calls" if calls else "stop"
        return ModelResponse(text, calls, usage, reason, self._name)

    def _with_prefix(self, inputs: Any, prefix: str) -> dict[str, Any]:
        """The prompt's ids with the chosen opening appended, and their attention mask."""
        torch = _torch()
        input_ids = inputs["input_ids"]
        if prefix:
            ids = self._tokenizer.encode(prefix, add_special_tokens=False)
            extra = torch.tensor([ids], dtype=input_ids.dtype, device=input_ids.device)
            input_ids = torch.cat([input_ids, extra], dim=1)
        return {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)}

    def _offer_tools(
        self, messages: Sequence[Message], specs: tuple[ToolSpec, ...]
    ) -> tuple[tuple[ToolSpec, ...], bool]:
        """The tools to offer, and whether the ranker's floor already settled between
        answering and calling (it did when the ranker has a threshold)."""
        from agentsdk.models.toolcalls.ranker import select_tools

        ranker = self.tool_ranker
        last_user = _last_user(messages)
        request = messages[last_user].content if last_user >= 0 else ""
        if ranker is None or not request.strip():
            return specs, False
        # a tool already called for this request is not offered again: its result is in
        # the conversation, and a small model would otherwise call it over and over
        called = {call.name for m in messages[last_user + 1 :] for call in m.tool_calls}
        offered = select_tools(ranker, request, specs, keep=self.tool_candidates, exclude=called)
        return offered, ranker.threshold is not None

    def _run_constrained(
        self,
        inputs: Any,
        prefix: str,
        settings: GenerationSettings,
        processor: Any,
        adapted: bool,
    ) -> list[int]:
        torch = _torch()
        prompt = self._with_prefix(inputs, prefix)
        input_ids = prompt["input_ids"]
        try:
            with self._lock, torch.inference_mode():
                self._use_adapter(adapted)
                self._seed(settings)
                output = self._model.generate(
                    **prompt,
                    logits_processor=[processor],
                    **self._generate_kwargs(settings),
                )
        except (RuntimeError, ValueError, IndexError) as exc:
            raise GenerationError(f"{self._name} failed while generating: {exc}") from exc
        new_ids: list[int] = output[0, input_ids.shape[1] :].tolist()
        return new_ids

    # -- phases ----------------------------------------------------------------------

    def _check_text_only(self, messages: Sequence[Message]) -> None:
        if any(m.media for m in messages):
            raise ConfigurationError(
                f"{self._name} reads text only, but a message carries images or audio: use "
                "Agent(perception='encoders') (the default) so encoders describe the media"
            )

    def _encode(self, messages: Sequence[Message], tools: Sequence[ToolSchema]) -> Any:
        if not messages:
            raise ConfigurationError("cannot generate from an empty conversation")
        conversation = [m.to_dict() for m in messages]
        return self._encode_conversation(conversation, tools)

    def _encode_conversation(
        self, conversation: list[dict[str, Any]], tools: Sequence[ToolSchema] = ()
    ) -> Any:
        if not conversation:
            raise ConfigurationError("cannot generate from an empty conversation")
        extra: dict[str, Any] = {"tools": [dict(t) for t in tools]} if tools else {}
        try:
            inputs = self._tokenizer.apply_chat_template(
                self._control.defuse_conversation(conversation),
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
                **extra,
            )
        except Exception as exc:  # jinja errors come in many types
            raise ConfigurationError(
                f"the chat template of {self._name} could not render the conversation: {exc}"
            ) from exc
        return {k: v.to(self.device) for k, v in inputs.items()}

    def _generate_kwargs(self, settings: GenerationSettings) -> dict[str, Any]:
        from transformers import GenerationConfig

        config = GenerationConfig(  # type: ignore[no-untyped-call]
            max_new_tokens=settings.max_tokens,
            do_sample=settings.sampling,
            eos_token_id=self._eos_ids,
            pad_token_id=self._pad_id,
        )
        if settings.sampling:
            config.temperature = settings.temperature
            config.top_p = settings.top_p
            config.top_k = settings.top_k or 0
        if settings.repetition_penalty is not None:
            config.repetition_penalty = settings.repetition_penalty
        kwargs: dict[str, Any] = {"generation_config": config}
        if settings.stop:
            config.stop_strings = list(settings.stop)
            kwargs["tokenizer"] = self._tokenizer
        return kwargs

    def _seed(self, settings: GenerationSettings) -> None:
        if settings.sampling and settings.seed is not None:
            _torch().manual_seed(settings.seed)

    def _visible_text(self, ids: list[int], settings: GenerationSettings) -> str:
        text: str = self._tokenizer.decode(ids, skip_special_tokens=True)
        return _cut_at_stop(text, settings.stop)

    def _response(
        self,
        text: str,
        new_ids: list[int],
        prompt_length: int,
        settings: GenerationSettings,
        tools: Sequence[ToolSchema],
    ) -> ModelResponse:
        ended = bool(new_ids) and new_ids[-1] in self._eos_ids
        stopped = any(s in self._tokenizer.decode(new_ids) for s in settings.stop)
        reason: FinishReason = (
            "length" if len(new_ids) >= settings.max_tokens and not (ended or stopped) else "stop"
        )
        calls: tuple[ToolCall, ...] = ()
        if tools:
            text, calls = _parse_tool_calls(text, tools)
            if calls:
                reason = "tool_calls"
        usage = Usage(prompt_length, len(new_ids))
        return ModelResponse(text, calls, usage, reason, self._name)

    def _end_ids(self) -> list[int]:
        ids: list[int] = []
        configured = getattr(self._model.generation_config, "eos_token_id", None)
        if isinstance(configured, int):
            ids.append(configured)
        elif configured:
            ids.extend(configured)
        if self._tokenizer.eos_token_id is not None:
            ids.append(self._tokenizer.eos_token_id)
        vocab = self._tokenizer.get_vocab()
        ids.extend(vocab[token] for token in _END_OF_TURN if token in vocab)
        if not ids:
            raise ConfigurationError(f"{self._name} defines no end-of-sequence token")
        return list(dict.fromkeys(ids))


def _last_user(messages: Sequence[Message]) -> int:
    """The index of the last user message (-1 when there is none)."""
    return max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)


def _last_request(messages: Sequence[Message]) -> str:
    """The text of the last user message ("" when there is none)."""
    last = _last_user(messages)
    return messages[last].content if last >= 0 else ""


def _tool_names(tools: Sequence[ToolSchema]) -> list[str]:
    """The names of OpenAI-format tools (or bare {"name": ...} dicts)."""
    names = []
    for tool in tools:
        function = tool.get("function", tool)
        name = function.get("name") if isinstance(function, Mapping) else None
        if isinstance(name, str):
            names.append(name)
    return names


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    cut = min((i for s in stop if (i := text.find(s)) >= 0), default=-1)
    return text if cut < 0 else text[:cut]


def _stable_length(text: str, stop: Sequence[str]) -> int:
    """How much of `text` can be shown now: hold back a trailing partial UTF-8 character
    and any tail that could still grow into a stop string."""
    end = len(text)
    while end and text[end - 1] == "\ufffd":
        end -= 1
    held = 0
    for s in stop:
        for k in range(min(len(s) - 1, end), 0, -1):
            if text[:end].endswith(s[:k]):
                held = max(held, k)
                break
    return end - held


def _parse_tool_calls(text: str, tools: Sequence[ToolSchema]) -> tuple[str, tuple[ToolCall, ...]]:
    """Tool calls the model wrote as JSON ({"name", "arguments"}), bare or in <tool_call> tags.

    Grammar-constrained decoding makes these reliable for small models; this parser
    accepts what instruction-tuned models write on their own.
    """
    names = {t.get("function", t).get("name") for t in tools}
    tagged = _TOOL_CALL_TAG.findall(text)
    candidates = tagged or ([text.strip()] if text.strip().startswith("{") else [])
    calls: list[ToolCall] = []
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        name = data.get("name", data.get("tool"))
        arguments = data.get("arguments", data.get("parameters", {}))
        if name in names and isinstance(arguments, dict):
            calls.append(ToolCall(str(name), arguments))
    if not calls:
        return text, ()
    remaining = _TOOL_CALL_TAG.sub("", text).strip() if tagged else ""
    return remaining, tuple(calls)


LIKELIHOOD_BATCH = 32
"""Continuations scored together by `LocalModel.likelihoods`."""
BATCH_OVERHEAD_TOKENS = 25
"""What one more forward pass costs, in tokens read: on SmolLM2-135M on 2 CPU cores a
pass after a 124-token prompt took 55 ms for one token and about 2 ms more per token
(8 rows of 8: 184 ms; 8 rows of 20: 345 ms)."""


def length_batches(
    lengths: Sequence[int], *, max_rows: int, overhead: int = BATCH_OVERHEAD_TOKENS
) -> list[list[int]]:
    """The indices of `lengths` (0s left out: nothing to read) in batches of similar
    length, at most `max_rows` each, chosen to read the fewest tokens, padding and
    `overhead` per batch included (a batch reads rows x its longest)."""
    order = sorted((i for i, n in enumerate(lengths) if n > 0), key=lambda i: lengths[i])
    best = [0.0] + [float("inf")] * len(order)  # best[k]: cost of the first k, batched
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        for start in range(max(0, end - max_rows), end):
            cost = best[start] + overhead + (end - start) * lengths[order[end - 1]]
            if cost < best[end]:
                best[end], cut[end] = cost, start
    batches: list[list[int]] = []
    end = len(order)
    while end > 0:
        batches.append(order[cut[end] : end])
        end = cut[end]
    return batches[::-1]


PROMPT_REUSE_MIN = 16
"""Tokens a prompt must share with the previous one for its keys and values to be kept."""
EMBEDDING_CACHE_SIZE = 4096
"""Sentence embeddings kept per model for extractive replies."""


class _Reader:
    """A `LocalModel` and its ranker's sentence embeddings, as `extractive.Reader`.
    Embeddings of texts seen before (template examples, mostly) are kept per model."""

    def __init__(self, model: LocalModel, embed: Callable[[Sequence[str]], Any]) -> None:
        self._model = model
        self._embed = embed

    def embed(self, texts: Sequence[str]) -> Any:
        torch = _torch()
        cache = self._model._embeddings
        with self._model._embeddings_lock:
            missing = [t for t in dict.fromkeys(texts) if t not in cache]
            if missing:
                if len(cache) + len(missing) > EMBEDDING_CACHE_SIZE:
                    cache.clear()
                for text, row in zip(missing, self._embed(missing), strict=True):
                    cache[text] = row
            return torch.stack([cache[t] for t in texts])

    def likelihoods(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        return self._model.likelihoods(prompt, continuations)

    def chat_prompt(self, user: str) -> str:
        return self._model.chat_prompt(user)
