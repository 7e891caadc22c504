"""What a dataset row becomes to train on: the text `LocalModel` reads and writes.

`load_rows` reads a dataset: a folder as `agentsdk learn export` writes it
(`train/sft.jsonl`; the test split is never read here), a folder holding `sft.jsonl`, or a
.jsonl file. A row is either {"prompt": [messages], "completion": [assistant message]}
(the export's supervised rows: the loss on the completion only) or {"messages":
[messages]} (the loss on every assistant turn), with optional "tools" (the OpenAI tool
schemas the model was offered); messages are in the OpenAI chat format, assistant turns
may hold "tool_calls".

`prepare_examples` renders each row as the model sees it at run time (see
`agentsdk.learn.train` for what the target is, with tools and without) and labels the
target tokens; a target the reply grammar refuses is left out and counted.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agentsdk._files import file_sha256
from agentsdk.errors import ConfigurationError, MissingDependencyError
from agentsdk.messages import Message, ToolCall
from agentsdk.models.adapters import AdapterScope
from agentsdk.models.control_tokens import ControlTokens
from agentsdk.models.local import LocalModel

if TYPE_CHECKING:
    from agentsdk.models.toolcalls import ToolSpec

__all__ = [
    "DATASET_FILE",
    "IGNORE",
    "Example",
    "Prepared",
    "ToolPrompt",
    "load_rows",
    "prepare_examples",
]

DATASET_FILE = "sft.jsonl"
IGNORE = -100
"""The label of a token the loss leaves out (the prompt, padding)."""

ToolPrompt = Literal["auto", "all", "chosen"]


# -- the dataset --------------------------------------------------------------------


def _dataset_files(dataset: Path) -> list[Path]:
    if dataset.is_file():
        return [dataset]
    for candidate in (dataset / "train" / DATASET_FILE, dataset / DATASET_FILE):
        if candidate.is_file():
            return [candidate]
    raise ConfigurationError(
        f"no dataset at {dataset}: expected a folder with train/{DATASET_FILE} (as "
        f"`agentsdk learn export` writes it) or {DATASET_FILE}, or a .jsonl file"
    )


def _check_row(row: Any, where: str) -> None:
    if not isinstance(row, dict):
        raise ConfigurationError(f"{where}: a row must be a JSON object")
    if "messages" in row:
        if not isinstance(row["messages"], list):
            raise ConfigurationError(f"{where}: 'messages' must be a list")
    elif not (isinstance(row.get("prompt"), list) and isinstance(row.get("completion"), list)):
        raise ConfigurationError(
            f"{where}: a row needs 'messages', or 'prompt' and 'completion' (lists of messages)"
        )
    if row.get("tools") is not None and not isinstance(row["tools"], list):
        raise ConfigurationError(f"{where}: 'tools' must be a list")


def load_rows(dataset: str | Path) -> list[dict[str, Any]]:
    """The rows of a dataset (see the module's docstring), checked: each a JSON object
    with "messages", or "prompt" and "completion", and optional "tools". Blank lines are
    skipped; anything else wrong is a ConfigurationError naming the file and line."""
    rows: list[dict[str, Any]] = []
    for path in _dataset_files(Path(dataset).expanduser()):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigurationError(f"{where}: not JSON ({exc})") from exc
                _check_row(row, where)
                rows.append(row)
    return rows


def dataset_fingerprint(dataset: Path) -> dict[str, Any]:
    files = _dataset_files(dataset)
    digests = {path.name: file_sha256(path) for path in files}
    combined = hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in digests.items()).encode())
    return {"path": str(dataset), "sha256": combined.hexdigest(), "files": digests}


def _text(content: Any) -> str:
    """Message content as text (a list of OpenAI content parts: their text joined)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, Mapping)]
        return "".join(str(p) for p in parts)
    raise ConfigurationError(f"message content must be text, not {type(content).__name__}")


def _messages(row: Mapping[str, Any]) -> tuple[list[Message], int]:
    """The row's messages, and the index of the first one whose assistant turns are
    targets (the completion's, in a prompt-completion row)."""
    if "messages" in row:
        items, first = list(row["messages"]), 0
    else:
        items, first = [*row["prompt"], *row["completion"]], len(row["prompt"])
    messages = []
    for item in items:
        if not isinstance(item, Mapping):
            raise ConfigurationError(f"a message must be an object, not {item!r}")
        # media stay out: LocalModel reads text, what encoders saw is in the text already
        data = {k: v for k, v in item.items() if k != "media"}
        data["content"] = _text(item.get("content"))
        if data.get("role") == "tool" and not data.get("tool_call_id"):
            data["tool_call_id"] = "call_0"  # the constrained prompt does not show it
        messages.append(Message.from_dict(data))
    return messages, first


# -- rendering: the same text LocalModel reads and writes -----------------------------


@dataclass(frozen=True, slots=True)
class Example:
    """One training sequence: token ids, and their labels (`IGNORE` where the loss does
    not look: everything but the assistant's targets)."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]

    @property
    def target_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A dataset rendered for one model."""

    examples: tuple[Example, ...]
    rows: int
    """Rows read."""
    targets: int
    """Assistant turns trained on."""
    skipped: Mapping[str, int]
    """Assistant turns left out, by reason."""
    tool_prompt: Literal["all", "chosen"]
    listed: Mapping[str, int] = field(default_factory=dict)
    """Tool name -> trained turns whose prompt listed it."""
    plain: int = 0
    """Trained turns whose prompt listed no tool."""

    @property
    def target_tokens(self) -> int:
        return sum(e.target_tokens for e in self.examples)

    def scope(self) -> AdapterScope:
        """The prompts an adapter trained on these examples learned from."""
        return AdapterScope(frozenset(self.listed), self.plain > 0)


def _ordered(call: ToolCall, spec: ToolSpec | None) -> ToolCall:
    """`call` with its arguments in the order of the tool's schema (the grammar writes
    properties in that order); arguments the schema does not name come last."""
    if spec is None:
        return call
    order = list((spec.parameters.get("properties") or {}).keys())
    rank = {name: i for i, name in enumerate(order)}
    items = sorted(call.arguments.items(), key=lambda kv: rank.get(kv[0], len(order)))
    return ToolCall(call.name, dict(items), id=call.id, malformed=call.malformed)


class _Renderer:
    def __init__(self, model: LocalModel, tool_prompt: Literal["all", "chosen"]) -> None:
        self.model = model
        self.tokenizer = model.tokenizer
        self.control = ControlTokens.of(self.tokenizer)
        self.mode = tool_prompt
        specials = getattr(self.tokenizer, "all_special_tokens", ()) or ()
        self.specials = sorted((s for s in specials if s), key=len, reverse=True)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def render(self, conversation: list[dict[str, Any]], *, prompt: bool) -> str:
        text: str = self.tokenizer.apply_chat_template(
            self.control.defuse_conversation(conversation),
            add_generation_prompt=prompt,
            tokenize=False,
        )
        return text

    def end_of_turn(self, conversation: list[dict[str, Any]], prompt: str, reply: str) -> str:
        """The control token the template closes the assistant's turn with ("" when the
        template does not show one right after the reply)."""
        whole = self.render([*conversation, {"role": "assistant", "content": reply}], prompt=False)
        if not whole.startswith(prompt + reply):
            return ""
        after = whole[len(prompt + reply) :]
        return next((s for s in self.specials if after.startswith(s)), "")

    def turn(
        self, messages: list[Message], index: int, specs: tuple[ToolSpec, ...] | None
    ) -> tuple[list[dict[str, Any]], str, str, dict[str, Any] | None] | str:
        """(conversation before the turn, forced opening, the reply the model writes, its
        grammar's schema) for the assistant turn `messages[index]`, or why it is left out."""
        from agentsdk.models.toolcalls.grammar import answer_opening, call_opening
        from agentsdk.models.toolcalls.prompt import prepare_conversation, render_call
        from agentsdk.models.toolcalls.schema import answer_schema, call_schema, reply_schema

        message, before = messages[index], messages[:index]
        if specs is None:  # no tools: plain chat
            if message.tool_calls:
                return "a tool call in a row without tools"
            if not message.content:
                return "an empty assistant turn"
            return [m.to_dict() for m in before], "", message.content, None
        by_name = {s.name: s for s in specs}
        if len(message.tool_calls) > 1:
            return "several tool calls in one turn (the constrained reply holds one)"
        if message.tool_calls:
            call = message.tool_calls[0]
            if call.malformed is not None:
                return "a malformed tool call"
            spec = by_name.get(call.name)
            if spec is None:
                return "a call to a tool the row does not list"
            reply = render_call(call)
            if self.mode == "chosen":
                opening = call_opening(spec.name)
                conversation = prepare_conversation(before, (spec,), answer=False)
                return conversation, opening, reply[len(opening) :], call_schema(spec)
            return prepare_conversation(before, specs), "", reply, reply_schema(specs)
        if not message.content:
            return "an empty assistant turn"
        reply = json.dumps({"answer": message.content}, ensure_ascii=False)
        if self.mode == "chosen":
            opening = answer_opening()
            conversation = prepare_conversation(before, (), answer=True)
            return conversation, opening, reply[len(opening) :], answer_schema()
        return prepare_conversation(before, specs), "", reply, reply_schema(specs)

    def reachable(self, schema: dict[str, Any], text: str) -> bool:
        """Whether the constrained decoder can write `text` in full and stop there."""
        try:
            import xgrammar
        except ImportError as exc:
            raise MissingDependencyError(
                "rows with tools are checked against the tool-call grammar, which needs "
                "xgrammar: pip install 'agentsdk[kit]'"
            ) from exc
        grammars = self.model.tool_grammars()
        matcher = xgrammar.GrammarMatcher(
            grammars.compile(schema), override_stop_tokens=grammars.stop_ids
        )
        if not matcher.accept_string(text):
            return False
        return bool(matcher.is_terminated() or matcher.accept_token(grammars.stop_ids[0]))

    def listed(self, message: Message, specs: tuple[ToolSpec, ...] | None) -> tuple[str, ...]:
        """The tools the prompt of the assistant turn `message` lists."""
        if specs is None:
            return ()
        if self.mode == "chosen":  # the called tool alone, or none for an answer
            return tuple(call.name for call in message.tool_calls[:1])
        return tuple(s.name for s in specs)

    def row(
        self, row: Mapping[str, Any], skipped: Counter[str], listed: Counter[str]
    ) -> tuple[list[Example], int]:
        """The examples of one row (consecutive turns share one sequence when each
        prompt continues the text before it) and how many turns they train; `listed`
        counts the tools each trained turn's prompt lists ("" for none)."""
        from agentsdk.models.toolcalls.schema import tool_specs

        messages, first = _messages(row)
        specs = tool_specs(row["tools"]) if row.get("tools") else None
        if specs is not None:
            by_name = {s.name: s for s in specs}
            messages = [
                Message(
                    m.role,
                    m.content,
                    tuple(_ordered(c, by_name.get(c.name)) for c in m.tool_calls),
                    m.tool_call_id,
                )
                for m in messages
            ]
        examples: list[Example] = []
        ids: list[int] = []
        labels: list[int] = []
        text = ""
        trained = 0
        for index, message in enumerate(messages):
            if message.role != "assistant" or index < first:
                continue
            made = self.turn(messages, index, specs)
            if isinstance(made, str):
                skipped[made] += 1
                continue
            conversation, opening, reply, schema = made
            opening, reply = self.control.defuse(opening), self.control.defuse(reply)
            if schema is not None and not self.reachable(schema, opening + reply):
                skipped["a reply the tool-call grammar cannot write"] += 1
                continue
            prompt = self.render(conversation, prompt=True)
            if not (text and prompt.startswith(text)):  # a new sequence
                if ids:
                    examples.append(Example(tuple(ids), tuple(labels)))
                ids, labels, text = [], [], ""
            context = self.encode(prompt[len(text) :]) + (self.encode(opening) if opening else [])
            end = self.end_of_turn(conversation, prompt, opening + reply)
            eos = self.tokenizer.eos_token_id
            end_ids = self.encode(end) if end else ([eos] if eos is not None else [])
            target = self.encode(reply) + end_ids
            ids += context + target
            labels += [IGNORE] * len(context) + target
            text = prompt + opening + reply + end if end else "\0"  # \0: nothing continues
            trained += 1
            listed.update(self.listed(message, specs) or ("",))
        if ids:
            examples.append(Example(tuple(ids), tuple(labels)))
        return examples, trained


def prepare_examples(
    model: LocalModel, rows: Sequence[Mapping[str, Any]], *, tool_prompt: ToolPrompt = "auto"
) -> Prepared:
    """Render `rows` for `model` as `LocalModel` renders prompts and replies: token ids,
    and labels that keep only the assistant's targets."""
    mode = tool_prompt_of(model, tool_prompt)
    renderer = _Renderer(model, mode)
    skipped: Counter[str] = Counter()
    listed: Counter[str] = Counter()
    examples: list[Example] = []
    targets = 0
    for number, row in enumerate(rows, 1):
        try:
            made, trained = renderer.row(row, skipped, listed)
        except ConfigurationError as exc:  # a bad message or tool schema
            raise ConfigurationError(f"row {number}: {exc}") from exc
        examples += made
        targets += trained
    plain = listed.pop("", 0)
    return Prepared(tuple(examples), len(rows), targets, dict(skipped), mode, dict(listed), plain)


def tool_prompt_of(model: LocalModel, tool_prompt: ToolPrompt) -> Literal["all", "chosen"]:
    if tool_prompt == "auto":
        ranker = model.tool_ranker
        return "chosen" if ranker is not None and ranker.threshold is not None else "all"
    if tool_prompt not in ("all", "chosen"):
        raise ConfigurationError(
            f"tool_prompt must be 'auto', 'all' or 'chosen', not {tool_prompt!r}"
        )
    return tool_prompt
