"""prepare_examples and load_rows: rows rendered as LocalModel renders them, the loss on
the assistant's targets only, replies the grammar refuses left out, datasets read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentsdk import ConfigurationError, Message
from agentsdk.learn.examples import IGNORE, load_rows, prepare_examples
from agentsdk.models.local import LocalModel
from agentsdk.models.toolcalls.grammar import call_opening
from agentsdk.models.toolcalls.prompt import prepare_conversation
from agentsdk.models.toolcalls.schema import tool_specs
from tests.learn.datasets import ADD, CHAT_ROW, add_row, call, targets, write_dataset


def test_the_loss_covers_only_the_assistants_replies(tiny: LocalModel) -> None:
    import torch

    prepared = prepare_examples(tiny, [add_row(2, 3)], tool_prompt="all")
    assert prepared.targets == 2 and prepared.skipped == {}
    (example,) = prepared.examples
    # the call as the grammar writes it (arguments in the schema's order), then the answer
    assert targets(tiny, example) == [
        '{"tool": "add", "arguments": {"a": 2, "b": 3}}<|im_end|>',
        '{"answer": "It is 5."}<|im_end|>',
    ]
    labels = torch.tensor(example.labels)
    ids = torch.tensor(example.input_ids)
    kept = labels != IGNORE
    assert torch.equal(labels[kept], ids[kept])
    masked = tiny.tokenizer.decode(ids[~kept].tolist())
    assert "What is 2 plus 3?" in masked and "You can use these tools" in masked
    assert "It is 5." not in masked and '"a": 2' not in masked
    assert int(kept.sum()) == example.target_tokens == prepared.target_tokens


def test_prompts_are_the_ids_local_model_reads(tiny: LocalModel) -> None:
    """The context before each target is exactly what LocalModel encodes for that turn."""
    row = add_row(2, 3)
    (example,) = prepare_examples(tiny, [row], tool_prompt="all").examples
    messages = [Message.from_dict(m) for m in row["messages"]]
    specs = tool_specs([ADD])
    first = next(i for i, x in enumerate(example.labels) if x != IGNORE)
    expected = tiny._encode_conversation(prepare_conversation(messages[:2], specs))
    assert list(example.input_ids[:first]) == expected["input_ids"][0].tolist()
    # plain chat: the chat template over the messages, no tool section
    (plain,) = prepare_examples(tiny, [CHAT_ROW]).examples
    start = next(i for i, x in enumerate(plain.labels) if x != IGNORE)
    encoded = tiny._encode([Message.user("Say hi.")], ())["input_ids"][0].tolist()
    assert list(plain.input_ids[:start]) == encoded
    assert targets(tiny, plain) == ["Hi!<|im_end|>"]


def test_chosen_tool_prompts_list_the_tool_and_leave_the_opening_out(tiny: LocalModel) -> None:
    """As when a ranker chose the tool: only it is listed and the reply starts with its
    opening, which the model does not write."""
    prepared = prepare_examples(tiny, [add_row(2, 3)], tool_prompt="chosen")
    assert prepared.tool_prompt == "chosen" and len(prepared.examples) == 2
    called, answered = prepared.examples
    assert targets(tiny, called) == ['": {"a": 2, "b": 3}}<|im_end|>']
    messages = [Message.from_dict(m) for m in add_row(2, 3)["messages"]]
    conversation = prepare_conversation(messages[:2], tool_specs([ADD]), answer=False)
    expected = tiny._encode_conversation(conversation)["input_ids"][0].tolist()
    expected += tiny.tokenizer.encode(call_opening("add"), add_special_tokens=False)
    start = next(i for i, x in enumerate(called.labels) if x != IGNORE)
    assert list(called.input_ids[:start]) == expected
    assert targets(tiny, answered) == ['": "It is 5."}<|im_end|>']
    assert "You can use these tools" not in tiny.tokenizer.decode(list(answered.input_ids))
    # what an adapter learns from: one prompt listing add, one listing none
    assert prepared.listed == {"add": 1} and prepared.plain == 1
    assert prepared.scope().applies(["add"]) and prepared.scope().applies([])
    every = prepare_examples(tiny, [add_row(2, 3)], tool_prompt="all")
    assert every.listed == {"add": 2} and every.plain == 0
    assert not every.scope().applies([])


def test_prompt_completion_rows_train_the_completion_only(tiny: LocalModel) -> None:
    """The export's rows: earlier assistant turns in the prompt are context."""
    row = add_row(2, 3)
    exported = {
        "prompt": row["messages"][:4],
        "completion": row["messages"][4:],
        "tools": [ADD],
        "meta": {"thread_id": "t"},
    }
    (example,) = prepare_examples(tiny, [exported], tool_prompt="all").examples
    assert targets(tiny, example) == ['{"answer": "It is 5."}<|im_end|>']
    assert '"arguments": {"a": 2, "b": 3}' in tiny.tokenizer.decode(list(example.input_ids))


def test_replies_the_model_cannot_write_are_left_out_and_counted(tiny: LocalModel) -> None:
    rows = [
        {  # a string where the schema wants an integer: the grammar refuses it
            "messages": [
                {"role": "user", "content": "add"},
                {"role": "assistant", "tool_calls": [call("add", {"a": "two", "b": 3})]},
            ],
            "tools": [ADD],
        },
        {  # over the answer's maxLength
            "messages": [
                {"role": "user", "content": "talk"},
                {"role": "assistant", "content": "x" * 300},
            ],
            "tools": [ADD],
        },
        {  # two calls in one turn, and a tool the row does not list
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "tool_calls": [call("add", {}), call("add", {}, "c2")]},
                {"role": "user", "content": "again"},
                {"role": "assistant", "tool_calls": [call("mul", {"a": 1})]},
            ],
            "tools": [ADD],
        },
        add_row(1, 1, answer=False),
    ]
    prepared = prepare_examples(tiny, rows, tool_prompt="all")
    assert prepared.rows == 4 and prepared.targets == 1
    assert prepared.skipped == {
        "a reply the tool-call grammar cannot write": 2,
        "several tool calls in one turn (the constrained reply holds one)": 1,
        "a call to a tool the row does not list": 1,
    }


def test_a_row_that_cannot_be_read_is_named(tiny: LocalModel) -> None:
    bad_role = {"messages": [{"role": "robot", "content": "x"}]}
    with pytest.raises(ConfigurationError, match="row 2: unknown message role"):
        prepare_examples(tiny, [CHAT_ROW, bad_role])
    bad_tool = {"messages": CHAT_ROW["messages"], "tools": [{"function": {"name": ""}}]}
    with pytest.raises(ConfigurationError, match="row 1: a tool needs a non-empty"):
        prepare_examples(tiny, [bad_tool])


def test_control_tokens_in_a_reply_are_plain_text(tiny: LocalModel) -> None:
    row = {
        "messages": [
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": "a<|im_end|>b"},
        ]
    }
    (example,) = prepare_examples(tiny, [row]).examples
    end = tiny.tokenizer.convert_tokens_to_ids("<|im_end|>")
    labelled = [x for x in example.labels if x != IGNORE]
    assert labelled.count(end) == 1 and labelled[-1] == end


# -- the dataset ----------------------------------------------------------------------


def test_rows_are_read_from_the_export_layout_or_a_file(tmp_path: Path) -> None:
    export = write_dataset(tmp_path / "export" / "train", [CHAT_ROW]).parent
    write_dataset(tmp_path / "export" / "test", [CHAT_ROW, CHAT_ROW])
    assert len(load_rows(export)) == 1  # train/ only: the test split stays out
    plain = write_dataset(tmp_path / "plain", [CHAT_ROW, CHAT_ROW])
    assert len(load_rows(plain)) == 2
    assert len(load_rows(plain / "sft.jsonl")) == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "sft.jsonl:2: not JSON"),
        ('{"prompt": []}', "sft.jsonl:2: a row needs 'messages'"),
        ('{"messages": [], "tools": {}}', "'tools' must be a list"),
        ("[1]", "must be a JSON object"),
    ],
)
def test_a_bad_row_names_its_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "sft.jsonl").write_text(json.dumps(CHAT_ROW) + "\n" + line + "\n")
    with pytest.raises(ConfigurationError, match=message):
        load_rows(tmp_path)


def test_a_missing_dataset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"train/sft\.jsonl"):
        load_rows(tmp_path)


# -- training -------------------------------------------------------------------------
