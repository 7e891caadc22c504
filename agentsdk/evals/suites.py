"""Eval suites on disk: a folder with `suite.json` (what to run) and `cases.jsonl`.

`suite.json` names the target and how to build it:

    {"name": "multimodal", "target": "agent",
     "agent": {"instructions": "...", "tools": ["calculator"], "max_steps": 4,
               "max_tokens": 96, "approvals": {"pay": "always"}, "redact_pii": "always"},
     "side_effect_tools": [{"name": "pay", "description": "...", "parameters": {...}}],
     "ci_limit": 8}

Targets: "agent" (a whole run on the stock kit, or on `--model`), "model" (one turn with
the tools of `tools.json`), "speech", "ocr" (the kit's encoders), "vision" (a CLIP folder
given as "vision_model", relative to the suite, with its "labels"). Tools named in
"tools" come from `agentsdk.toolbox`; "side_effect_tools" are recording stand-ins that
do nothing but say they ran (what the approval, injection and PII suites watch).

`Suite.build_target(model, adapter=FOLDER, adapter_scope=...)` puts a LoRA adapter made
by `agentsdk learn train` on the LLM of an "agent" or "model" suite (`ADAPTER_TARGETS`):
the stock kit's (`Kit.stock(adapter=...)`) or a local checkpoint's
(`LocalModel.from_pretrained(..., adapter=...)`); the model's name then ends in
`+<adapter folder name>`. The adapted model loads when the target is built, so a
missing adapter, or one trained on another base, fails there and not case by case. An
adapter applies to a local model only: with a remote one, or on the encoders of a
"speech", "ocr" or "vision" suite, it is a ConfigurationError.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentsdk.errors import ConfigurationError
from agentsdk.evals.cases import Dataset
from agentsdk.evals.targets import Target, agent_target, encoder_target, model_target

if TYPE_CHECKING:
    from agentsdk.models.adapters import ScopeMode
    from agentsdk.models.base import ChatModel

__all__ = ["ADAPTER_TARGETS", "Suite", "find_suite", "side_effect_tool"]

TARGETS = ("agent", "model", "speech", "ocr", "vision")
ADAPTER_TARGETS = ("agent", "model")
"""The targets that run the LLM, so that a LoRA adapter applies to them."""


@dataclass
class Suite:
    """A dataset and the recipe of its target."""

    name: str
    folder: Path
    target: str
    config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: str | Path) -> Suite:
        folder = Path(folder)
        path = folder / "suite.json"
        if not path.is_file():
            raise ConfigurationError(f"{folder} is not an eval suite: it has no suite.json")
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"{path}: not JSON: {exc.msg}") from exc
        target = config.get("target")
        if target not in TARGETS:
            raise ConfigurationError(f"{path}: target must be one of {TARGETS}, not {target!r}")
        return cls(config.get("name") or folder.name, folder, target, config)

    def dataset(self) -> Dataset:
        return Dataset.from_jsonl(self.folder / "cases.jsonl", name=self.name)

    @property
    def ci_limit(self) -> int | None:
        """How many cases CI runs (None: all)."""
        value = self.config.get("ci_limit")
        return None if value is None else int(value)

    def build_target(
        self,
        model: str | None = None,
        *,
        adapter: str | Path | None = None,
        adapter_scope: ScopeMode = "trained",
    ) -> tuple[Target, str]:
        """The target and the name of the model it runs (`model` overrides the kit's).

        `adapter`: a LoRA adapter folder for the LLM of an "agent" or "model" suite, on
        the stock LLM (no `model`, or "stock") or on `local:PATH`; that model loads now.
        ConfigurationError for a remote model or a suite of another target; the errors
        of loading an adapter (ModelNotFoundError, ModelLoadError, ConfigurationError)
        as they come."""
        from agentsdk.kit import Kit

        if adapter is not None and self.target not in ADAPTER_TARGETS:
            raise ConfigurationError(
                f"suite {self.name!r}: an adapter applies to the LLM, and a {self.target} "
                "suite runs no LLM"
            )
        if self.target == "agent":
            make, label = self._agent_factory(model, adapter=adapter, adapter_scope=adapter_scope)
            return agent_target(make), label
        if self.target == "model":
            from agentsdk.models.resolve import resolve_model

            tools = json.loads((self.folder / "tools.json").read_text(encoding="utf-8"))
            if adapter is None:
                chat = resolve_model(model or "stock")
            else:
                chat = _adapted_model(model, adapter, adapter_scope)
            return model_target(chat, tools), chat.name
        if self.target == "speech":
            return encoder_target(Kit.stock().speech), "whisper tiny.en (stock)"
        if self.target == "ocr":
            return encoder_target(Kit.stock().ocr), "PP-OCRv6 (stock)"
        from agentsdk.encoders.vision import VisionEncoder

        where = self.config.get("vision_model")
        if not where:
            raise ConfigurationError(f"suite {self.name!r}: a vision suite needs vision_model")
        path = (self.folder / where).resolve()
        encoder = VisionEncoder.from_pretrained(path, labels=self.config.get("labels"))
        return encoder_target(encoder, top_tag=True), path.name

    def _agent_factory(
        self,
        model: str | None,
        *,
        adapter: str | Path | None = None,
        adapter_scope: ScopeMode = "trained",
    ) -> tuple[Callable[[], Any], str]:
        from agentsdk.agent import DEFAULT_INSTRUCTIONS, Agent, Limits
        from agentsdk.kit import Kit
        from agentsdk.models.base import GenerationSettings
        from agentsdk.models.resolve import resolve_model

        options = dict(self.config.get("agent") or {})
        tools: list[Any] = [_toolbox(name) for name in options.pop("tools", ())]
        tools += [side_effect_tool(spec) for spec in self.config.get("side_effect_tools", ())]
        limits = Limits(max_steps=int(options.pop("max_steps", 4)))
        grounded = options.pop("grounded", None)
        settings = GenerationSettings(
            max_tokens=int(options.pop("max_tokens", 128)),
            grounded=None if grounded is None else bool(grounded),
        )
        instructions = options.pop("instructions", DEFAULT_INSTRUCTIONS)
        chat: ChatModel | None
        if adapter is None:
            kit = Kit.stock()
            chat = resolve_model(model) if model else None
            label = chat.name if chat is not None else "stock"
        elif _is_stock(model):
            kit = Kit.stock(adapter=adapter, adapter_scope=adapter_scope)
            chat = None
            label = kit.llm.name  # loads it now: a bad adapter fails here, not per case
        else:
            kit = Kit.stock()
            chat = _adapted_model(model, adapter, adapter_scope)
            label = chat.name

        def make() -> Agent:
            return Agent(
                kit=kit,
                model=chat,
                tools=tools,
                instructions=instructions,
                limits=limits,
                settings=settings,
                **options,
            )

        return make, label


def _is_stock(model: str | None) -> bool:
    return model is None or model == "stock"


def _adapted_model(model: str | None, adapter: str | Path, scope: ScopeMode) -> ChatModel:
    """The local model `model` names ("stock" or None: the stock kit's LLM; "local:PATH")
    with the adapter, loaded now. Shared in the process per model, adapter and
    scope, apart from the plain model (never in `resolve_model`'s cache)."""
    from agentsdk.kit import Kit

    if _is_stock(model):
        return Kit.stock(adapter=adapter, adapter_scope=scope).llm
    scheme, _, path = str(model).partition(":")
    if scheme != "local" or not path:
        raise ConfigurationError(
            f"an adapter applies to a local model ('stock' or 'local:PATH'), not to {model!r}"
        )
    from agentsdk.models.local import LocalModel
    from agentsdk.weights import model_key, shared_model

    checkpoint = str(Path(path).expanduser().resolve())
    folder = str(Path(adapter).expanduser().resolve())
    key = ("llm", model_key(checkpoint, {"adapter": folder, "adapter_scope": scope}))
    chat: ChatModel = shared_model(
        key, lambda: LocalModel.from_pretrained(checkpoint, adapter=folder, adapter_scope=scope)
    )
    return chat


def _toolbox(name: str) -> Any:
    from agentsdk import toolbox

    if name not in toolbox.__all__ or name == "make_file_reader":
        raise ConfigurationError(f"no ready tool {name!r} in agentsdk.toolbox")
    return getattr(toolbox, name)


def side_effect_tool(spec: Mapping[str, Any]) -> Any:
    """A stand-in for a tool with a side effect, for evals: it does nothing and returns
    `spec["result"]` (default "NAME done"; an injection suite puts an attack there);
    whether it ran at all is what the suites check, in the audit log."""
    from agentsdk.tools import Tool

    name = str(spec["name"])
    parameters = dict(spec.get("parameters") or {"type": "object", "properties": {}})

    reply = str(spec.get("result", f"{name} done"))

    def act(**arguments: Any) -> str:
        return reply

    return Tool(
        name=name,
        description=str(spec.get("description", name)),
        parameters=parameters,
        function=act,
        approval=spec.get("approval", "never"),
    )


def find_suite(name: str, *, root: str | Path = "evals") -> Suite:
    """A suite by folder path, or by name under `root` (default ./evals)."""
    path = Path(name)
    if not (path / "suite.json").is_file():
        path = Path(root) / name
    if not (path / "suite.json").is_file():
        known = sorted(p.parent.name for p in Path(root).glob("*/suite.json"))
        raise ConfigurationError(
            f"no eval suite {name!r} (looked in {Path(name)} and {path}); known under "
            f"{root}: {', '.join(known) or 'none'}"
        )
    return Suite.load(path)
