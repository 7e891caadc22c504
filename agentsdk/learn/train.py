"""Train a LoRA adapter for a local model on a dataset of chat examples (peft).

`train_adapter(dataset, base, out)` reads a dataset's rows, renders every row exactly as
`LocalModel` renders a prompt, trains a LoRA adapter on the assistant's turns only, and
saves it with its metadata (`agentsdk.learn.adapters`).
`LocalModel.from_pretrained(..., adapter=...)` and `Kit.stock(adapter=...)` load it.

The dataset and how a row is rendered: `agentsdk.learn.examples` (`load_rows`,
`prepare_examples`).

What the model learns to write is what it writes at run time:

- a row without tools: the prompt is the chat template over the messages, the target
  the assistant's text (then the template's end-of-turn token);
- a row with tools: the constrained path's prompt (`toolcalls.prompt.prepare_conversation`:
  the tool section in the system message, earlier calls as JSON), the target the reply
  the grammar lets it write: `{"tool": "NAME", "arguments": {...}}` with the arguments
  in the schema's order, or `{"answer": "..."}`, as `json.dumps` spaces it (the
  grammar's separators). Every target is run through the compiled grammar first; one
  the grammar refuses (an answer over 200 characters, an argument of the wrong type) is
  left out and counted, so training never pulls towards a reply that cannot be written.

With a tool ranker that decides (the stock LLM's MiniLM), the ranker picks the tool and
the reply starts from its opening: `tool_prompt="chosen"` then lists only the called tool
(none for an answer) and leaves the forced opening (`{"tool": "NAME", "arguments`,
`{"answer`) out of the loss. "auto" follows the base model: "chosen" for the stock LLM
and a `LocalModel` whose ranker has a threshold, else "all" (every tool of the row listed,
the model chooses).

The loss is the mean cross-entropy over target tokens; logits are computed only where a
target token is predicted (`logits_to_keep`), which on SmolLM2 (49,152-token vocabulary)
saves 15-20% of a step. Batches group rows of similar length; the learning rate
is constant (AdamW, gradients clipped at 1.0); LoRA dropout is 0 by default, so a seed
repeats a run. On a GPU the matrix products run in bfloat16 (autocast).

Speed, measured on 2 shared CPU cores (SmolLM2-135M in float32, LoRA r=8 on q/k/v/o,
batch 4): 200 tool-call rows (250 sequences of about 83 tokens) train one epoch in
74-145 s, 1.4-2.7 rows/s, depending on what else the machine runs; a step is about
1.5 s at best. Loading the base and rendering the rows add about 10 s.
"""

from __future__ import annotations

import random
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from agentsdk.errors import ConfigurationError, MissingDependencyError
from agentsdk.learn.adapters import ADAPTER_FORMAT, adapter_path, save_adapter
from agentsdk.learn.examples import (
    IGNORE,
    Example,
    ToolPrompt,
    dataset_fingerprint,
    load_rows,
    prepare_examples,
    tool_prompt_of,
)
from agentsdk.models.adapters import AdapterScope, checkpoint_identity
from agentsdk.models.local import LocalModel

__all__ = [
    "DEFAULT_TARGET_MODULES",
    "TrainProgress",
    "TrainSettings",
    "TrainSummary",
    "train_adapter",
]

DEFAULT_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj")
"""The attention projections of Llama-style models (SmolLM2, Qwen2, Mistral)."""
_LEARN_INSTALL = "training adapters needs peft: pip install 'agentsdk[learn]'"


# -- training -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainSettings:
    """The hyperparameters of a run (saved in the adapter's metadata)."""

    epochs: int = 2
    """Passes over the dataset."""
    learning_rate: float = 2e-4
    """AdamW's learning rate, constant through the run."""
    rank: int = 8
    """LoRA rank r."""
    alpha: int = 16
    """LoRA alpha (the update is scaled by alpha / rank)."""
    dropout: float = 0.0
    """LoRA dropout."""
    target_modules: tuple[str, ...] = DEFAULT_TARGET_MODULES
    """Names of the linear layers that get an adapter."""
    max_length: int = 1024
    """Longest sequence in tokens; longer ones are left out (and counted)."""
    batch_size: int = 4
    """Sequences per optimiser step."""
    seed: int = 0
    """Seeds the adapter's initialisation and the order of the batches."""
    tool_prompt: ToolPrompt = "auto"
    """How rows with tools are prompted: see the module's docstring."""

    def check(self) -> None:
        numbers = {
            "epochs": self.epochs,
            "rank": self.rank,
            "max_length": self.max_length,
            "batch_size": self.batch_size,
        }
        for name, value in numbers.items():
            if value < 1:
                raise ConfigurationError(f"{name} must be at least 1, not {value}")
        if not self.learning_rate > 0:
            raise ConfigurationError(f"learning_rate must be positive, not {self.learning_rate}")
        if self.alpha <= 0 or not 0 <= self.dropout < 1:
            raise ConfigurationError("alpha must be positive and dropout in [0, 1)")
        if not self.target_modules:
            raise ConfigurationError("target_modules must name at least one layer")
        if self.tool_prompt not in ("auto", "all", "chosen"):
            raise ConfigurationError(
                f"tool_prompt must be 'auto', 'all' or 'chosen', not {self.tool_prompt!r}"
            )


@dataclass(frozen=True, slots=True)
class TrainProgress:
    """Where a run is, after each optimiser step."""

    step: int
    steps: int
    epoch: int
    loss: float
    seconds: float


@dataclass(frozen=True, slots=True)
class TrainSummary:
    """What a run did and where the adapter is."""

    adapter: Path
    """The saved adapter folder."""
    base: str
    """The base model's name."""
    rows: int
    """Dataset rows read."""
    examples: int
    """Sequences trained on (rows, or parts of rows)."""
    target_tokens: int
    """Tokens the loss looks at, per epoch."""
    skipped: Mapping[str, int]
    """Assistant turns (or sequences too long) left out, by reason."""
    epochs: int
    steps: int
    train_seconds: float
    """Time in the training loop."""
    seconds: float
    """Time of the whole call: loading, rendering, training, saving."""
    epoch_losses: tuple[float, ...]
    """Mean loss of each epoch."""
    losses: tuple[float, ...] = field(repr=False)
    """Loss of each step."""
    scope: AdapterScope = field(default_factory=lambda: AdapterScope(frozenset(), False))
    """The prompts it learned from: where it applies with `adapter_scope="trained"`."""

    @property
    def final_loss(self) -> float:
        """The mean loss of the last epoch."""
        return self.epoch_losses[-1]

    @property
    def rows_per_second(self) -> float:
        """Rows trained per second of the training loop (all epochs)."""
        return self.rows * self.epochs / self.train_seconds if self.train_seconds else 0.0


def _load_base(
    base: LocalModel | str | Path, device: str
) -> tuple[LocalModel, Literal["all", "chosen"]]:
    """A fresh float32 copy of the base on `device` (training changes its modules, so
    never the caller's or the process's shared copy), and its tool prompt."""
    if isinstance(base, LocalModel):
        info = base.load_info
        if info is None:
            raise ConfigurationError(
                "train from a LocalModel loaded with LocalModel.from_pretrained (or a path)"
            )
        if info.adapter is not None:
            raise ConfigurationError(
                f"{base.name} has an adapter merged in: train on its base model instead"
            )
        fresh = LocalModel.from_pretrained(
            info.checkpoint, device=device, dtype="float32", name=base.name.split("+")[0]
        )
        return fresh, tool_prompt_of(base, "auto")
    if str(base) == "stock":
        from agentsdk.weights import STOCK_COMPONENTS, locate, require_runtime, verify

        spec = STOCK_COMPONENTS["llm"]
        folder = locate(spec)
        require_runtime(spec)
        verify(spec, folder)
        stock = LocalModel.from_pretrained(
            folder,
            gguf_file=spec.files[0].path,
            device=device,
            dtype="float32",
            name="smollm2-135m",
        )
        return stock, "chosen"  # the stock LLM's tool ranker picks the tool
    return LocalModel.from_pretrained(Path(base), device=device, dtype="float32"), "all"


def _device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigurationError(f"device {device!r} was asked for, but torch sees no GPU")
    if device != "cpu" and not device.startswith("cuda"):
        raise ConfigurationError(f"device must be 'auto', 'cpu' or 'cuda[:N]', not {device!r}")
    return device


def _batches(examples: Sequence[Example], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of example indices: shuffled, then sorted by length within windows of
    32 batches (less padding), the batches shuffled again."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    window = size * 32
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(examples[i].input_ids))
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def _step_loss(model: Any, batch: Sequence[Example], pad_id: int, device: str) -> Any:
    """The mean cross-entropy over the batch's target tokens, with logits computed only
    at the positions that predict one."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, example in enumerate(batch):
        n = len(example.input_ids)
        ids[row, :n] = torch.tensor(example.input_ids)
        labels[row, :n] = torch.tensor(example.labels)
        mask[row, :n] = 1
    # position p predicts token p + 1: keep the logits of positions followed by a target
    predicts = (labels[:, 1:] != IGNORE).any(dim=0).nonzero().flatten()
    logits = model(
        input_ids=ids.to(device), attention_mask=mask.to(device), logits_to_keep=predicts.to(device)
    ).logits
    targets = labels[:, predicts + 1].to(device)
    return torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE
    )


def _progress_callback(
    progress: bool | Callable[[TrainProgress], None], steps: int
) -> tuple[Callable[[TrainProgress], None] | None, Callable[[], None]]:
    if callable(progress):
        return progress, lambda: None
    if not progress:
        return None, lambda: None
    from tqdm.auto import tqdm

    bar = tqdm(total=steps, desc="training", unit="step", file=sys.stderr)

    def update(p: TrainProgress) -> None:
        bar.update(1)
        bar.set_postfix(epoch=p.epoch, loss=f"{p.loss:.4f}")

    return update, bar.close


def _train(
    model: Any,
    examples: Sequence[Example],
    settings: TrainSettings,
    *,
    pad_id: int,
    device: str,
    progress: bool | Callable[[TrainProgress], None],
) -> tuple[list[float], list[float], float]:
    import torch

    rng = random.Random(settings.seed)
    plans = [_batches(examples, settings.batch_size, rng) for _ in range(settings.epochs)]
    steps = sum(len(p) for p in plans)
    report, close = _progress_callback(progress, steps)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=0.0)
    # on a GPU the matrix products run in bfloat16 (the weights and the optimiser stay
    # float32); on the CPU everything stays float32
    bf16 = device.startswith("cuda") and torch.cuda.is_bf16_supported()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16)
    model.train()
    losses: list[float] = []
    epoch_losses: list[float] = []
    started = time.perf_counter()
    try:
        for epoch, plan in enumerate(plans, 1):
            mine: list[float] = []
            for batch in plan:
                with autocast:
                    loss = _step_loss(model, [examples[i] for i in batch], pad_id, device)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                optimiser.step()
                mine.append(float(loss.detach()))
                losses.append(mine[-1])
                if report is not None:
                    elapsed = time.perf_counter() - started
                    report(TrainProgress(len(losses), steps, epoch, mine[-1], elapsed))
            epoch_losses.append(sum(mine) / len(mine))
    finally:
        close()
        model.eval()
    return losses, epoch_losses, time.perf_counter() - started


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("agentsdk", "torch", "transformers", "peft"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def train_adapter(
    dataset: str | Path,
    base: LocalModel | str | Path = "stock",
    out: str | Path | None = None,
    *,
    name: str | None = None,
    epochs: int = 2,
    learning_rate: float = 2e-4,
    rank: int = 8,
    alpha: int = 16,
    dropout: float = 0.0,
    target_modules: Sequence[str] = DEFAULT_TARGET_MODULES,
    max_length: int = 1024,
    batch_size: int = 4,
    seed: int = 0,
    device: str = "auto",
    tool_prompt: ToolPrompt = "auto",
    progress: bool | Callable[[TrainProgress], None] = True,
    overwrite: bool = False,
) -> TrainSummary:
    """Train a LoRA adapter on `dataset` (a folder holding sft.jsonl, or a .jsonl file)
    for `base` ("stock": the stock LLM; a checkpoint folder; or a `LocalModel`), and
    save it to `out` (default: `adapters_root()/NAME`, NAME defaulting to the dataset's
    name and the time). The training runs on a fresh copy of the base's weights.

    `device`: "auto" (a GPU when torch sees one, else the CPU), "cpu" or "cuda[:N]".
    `progress`: True shows a tqdm bar on stderr, a callable gets a `TrainProgress`
    after each step, False shows nothing. An existing `out` is refused before any
    training unless `overwrite`.
    """
    started = time.perf_counter()
    settings = TrainSettings(
        epochs=epochs,
        learning_rate=learning_rate,
        rank=rank,
        alpha=alpha,
        dropout=dropout,
        target_modules=tuple(target_modules),
        max_length=max_length,
        batch_size=batch_size,
        seed=seed,
        tool_prompt=tool_prompt,
    )
    settings.check()
    dataset = Path(dataset).expanduser()
    stamp = datetime.now(UTC)
    if out is None:
        out = adapter_path(name or f"{dataset.stem}-{stamp:%Y%m%d-%H%M%S}")
    out = Path(out).expanduser()
    if out.exists() and not overwrite:
        raise ConfigurationError(f"{out} exists: choose another name, or pass overwrite=True")
    rows = load_rows(dataset)
    if not rows:
        raise ConfigurationError(f"the dataset at {dataset} has no rows")
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as exc:
        raise MissingDependencyError(_LEARN_INSTALL) from exc
    import torch

    device = _device(device)
    model, default_prompt = _load_base(base, device)
    prompt_mode = default_prompt if tool_prompt == "auto" else tool_prompt
    prepared = prepare_examples(model, rows, tool_prompt=prompt_mode)
    skipped = Counter(prepared.skipped)
    examples = [e for e in prepared.examples if len(e.input_ids) <= settings.max_length]
    if len(examples) < len(prepared.examples):
        skipped[f"longer than max_length={settings.max_length}"] += len(prepared.examples) - len(
            examples
        )
    examples = [e for e in examples if e.target_tokens]
    if not examples:
        raise ConfigurationError(
            f"nothing to train on in {dataset}: no assistant turn could be used "
            f"(left out: {dict(skipped) or 'none'})"
        )
    assert model.load_info is not None  # from_pretrained sets it
    checkpoint = model.load_info.checkpoint
    identity = checkpoint_identity(checkpoint)
    torch.manual_seed(settings.seed)
    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules),
        task_type="CAUSAL_LM",
    )
    try:
        with warnings.catch_warnings():  # peft reads a transformers property being renamed
            warnings.filterwarnings("ignore", "`is_gradient_checkpointing`", FutureWarning)
            peft_model = get_peft_model(model.model, config)
    except ValueError as exc:  # e.g. target modules the model does not have
        raise ConfigurationError(f"cannot add LoRA to {model.name}: {exc}") from exc
    pad = model.tokenizer.pad_token_id
    pad_id = pad if pad is not None else model.tokenizer.eos_token_id
    losses, epoch_losses, train_seconds = _train(
        peft_model, examples, settings, pad_id=pad_id, device=device, progress=progress
    )
    hf_config = model.model.config
    metadata = {
        "format": ADAPTER_FORMAT,
        "kind": "lora",
        "base": {
            "identity": identity,
            "name": model.name,
            "checkpoint": str(checkpoint),
            "model_type": getattr(hf_config, "model_type", None),
            "vocab_size": getattr(hf_config, "vocab_size", None),
            "hidden_size": getattr(hf_config, "hidden_size", None),
            "num_hidden_layers": getattr(hf_config, "num_hidden_layers", None),
        },
        "dataset": {
            **dataset_fingerprint(dataset),
            "rows": prepared.rows,
            "turns": prepared.targets,
            "examples": len(examples),
            "target_tokens": sum(e.target_tokens for e in examples),
            "skipped": dict(skipped),
            "tool_prompt": prepared.tool_prompt,
        },
        "scope": prepared.scope().to_dict(),
        "hyperparameters": {**asdict(settings), "target_modules": list(settings.target_modules)},
        "training": {
            "device": device,
            "steps": len(losses),
            "seconds": round(train_seconds, 3),
            "epoch_losses": epoch_losses,
            "losses": [round(x, 5) for x in losses],
        },
        "created": stamp.isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    save_adapter(peft_model, out, metadata, overwrite=overwrite)
    return TrainSummary(
        adapter=out,
        base=model.name,
        rows=prepared.rows,
        examples=len(examples),
        target_tokens=sum(e.target_tokens for e in examples),
        skipped=dict(skipped),
        epochs=settings.epochs,
        steps=len(losses),
        train_seconds=train_seconds,
        seconds=time.perf_counter() - started,
        epoch_losses=tuple(epoch_losses),
        losses=tuple(losses),
        scope=prepared.scope(),
    )
