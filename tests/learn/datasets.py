"""Dataset rows the learn tests train on, and what they look like once labelled."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentsdk.learn.examples import IGNORE, Example
from agentsdk.models.local import LocalModel

ADD = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}


def call(name: str, arguments: dict[str, Any], call_id: str = "c1") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def add_row(a: int, b: int, *, answer: bool = True) -> dict[str, Any]:
    """A user asks, the assistant calls add (arguments given out of the schema's order),
    the tool answers, the assistant answers."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": f"What is {a} plus {b}?"},
        {"role": "assistant", "content": None, "tool_calls": [call("add", {"b": b, "a": a})]},
    ]
    if answer:
        messages += [
            {"role": "tool", "tool_call_id": "c1", "content": str(a + b)},
            {"role": "assistant", "content": f"It is {a + b}."},
        ]
    return {"messages": messages, "tools": [ADD]}


CHAT_ROW = {
    "messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi!"}]
}


def write_dataset(folder: Path, rows: Sequence[dict[str, Any]], name: str = "sft.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


def targets(model: LocalModel, example: Example) -> list[str]:
    """The labelled spans of an example, decoded."""
    spans, current = [], []
    for token, label in zip(example.input_ids, example.labels, strict=True):
        if label != IGNORE:
            assert label == token  # labels are the tokens themselves (shifted in the loss)
            current.append(token)
        elif current:
            spans.append(model.tokenizer.decode(current))
            current = []
    if current:
        spans.append(model.tokenizer.decode(current))
    return spans
