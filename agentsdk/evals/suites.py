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
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentsdk.errors import ConfigurationError
from agentsdk.evals.cases import Dataset
from agentsdk.evals.targets import Target, agent_target, encoder_target, model_target

__all__ = ["Suite", "find_suite", "side_effect_tool"]

TARGETS = ("agent", "model", "speech", "ocr", "vision")


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

    def build_target(self, model: str | None = None) -> tuple[Target, str]:
        """The target and the name of the model it runs (`model` overrides the kit's)."""
        from agentsdk.kit import Kit

        if self.target == "agent":
            make, label = self._agent_factory(model)
            return agent_target(make), label
        if self.target == "model":
            from agentsdk.models.resolve import resolve_model

            tools = json.loads((self.folder / "tools.json").read_text(encoding="utf-8"))
            chat = resolve_model(model or "stock")
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

    def _agent_factory(self, model: str | None) -> tuple[Callable[[], Any], str]:
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
        kit = Kit.stock()
        chat = resolve_model(model) if model else None
        label = chat.name if chat is not None else "stock"

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
