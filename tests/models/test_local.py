"""LocalModel: unit tests on a tiny random checkpoint, real-model tests on the stock LLM."""

from __future__ import annotations

import re
import shutil
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from agentsdk import (
    ConfigurationError,
    GenerationSettings,
    LocalModel,
    Message,
    ModelNotFoundError,
    ToolCall,
    ToolResult,
)
from agentsdk.models.local import _cut_at_stop, _parse_tool_calls, _stable_length
from tests.tiny_models import build_tiny_chat_checkpoint

QUESTION = [Message.user("What is the capital of France?")]
ADD_TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "number"}}},
    },
}


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint: Path) -> LocalModel:
    return LocalModel.from_pretrained(tiny_checkpoint)


def test_loads_a_checkpoint_folder(tiny: LocalModel, tiny_checkpoint: Path) -> None:
    assert tiny.name == tiny_checkpoint.name
    assert tiny.load_info is not None
    assert tiny.load_info.source == "checkpoint"
    assert tiny.load_info.checkpoint == tiny_checkpoint
    assert str(tiny.device) == "cpu"


def test_generate_counts_tokens_and_stops_at_max_tokens(tiny: LocalModel) -> None:
    response = tiny.generate(QUESTION, settings=GenerationSettings(max_tokens=12))
    prompt = tiny.tokenizer.apply_chat_template(
        [m.to_dict() for m in QUESTION], add_generation_prompt=True
    )
    prompt_ids = (
        prompt["input_ids"] if isinstance(prompt, dict) or hasattr(prompt, "keys") else prompt
    )
    assert response.usage.input_tokens == len(prompt_ids)
    assert response.usage.output_tokens == 12
    assert response.finish_reason == "length"
    assert response.model == tiny.name
    assert response.text


def test_greedy_generation_is_deterministic(tiny: LocalModel) -> None:
    settings = GenerationSettings(max_tokens=20)
    assert tiny.generate(QUESTION, settings=settings) == tiny.generate(QUESTION, settings=settings)


def test_seeded_sampling_repeats_and_differs_from_greedy(tiny: LocalModel) -> None:
    sampled = GenerationSettings(max_tokens=30, temperature=1.5, seed=7)
    first = tiny.generate(QUESTION, settings=sampled)
    again = tiny.generate(QUESTION, settings=sampled)
    greedy = tiny.generate(QUESTION, settings=GenerationSettings(max_tokens=30))
    assert first.text == again.text
    assert first.text != greedy.text


def test_stream_yields_exactly_the_generated_text(tiny: LocalModel) -> None:
    settings = GenerationSettings(max_tokens=40)
    expected = tiny.generate(QUESTION, settings=settings)
    stream = tiny.stream(QUESTION, settings=settings)
    deltas = list(stream)
    assert len(deltas) > 1
    assert "".join(deltas) == expected.text
    assert stream.response == expected


def test_stop_string_cuts_text_in_both_paths(tiny: LocalModel) -> None:
    full = tiny.generate(QUESTION, settings=GenerationSettings(max_tokens=40)).text
    stop = full[len(full) // 2 : len(full) // 2 + 3]
    assert len(stop) == 3
    settings = GenerationSettings(max_tokens=40, stop=(stop,))
    response = tiny.generate(QUESTION, settings=settings)
    assert response.text == full[: full.find(stop)]
    assert response.finish_reason == "stop"
    stream = tiny.stream(QUESTION, settings=settings)
    assert "".join(stream) == response.text
    assert stop not in stream.response.text


def test_closing_a_stream_stops_generation(tiny: LocalModel) -> None:
    stream = tiny.stream(QUESTION, settings=GenerationSettings(max_tokens=400))
    first = next(stream)
    stream.close()
    assert first
    # the model is free again: a new generation does not deadlock
    assert (
        tiny.generate(QUESTION, settings=GenerationSettings(max_tokens=2)).usage.output_tokens == 2
    )


def test_end_of_turn_token_ends_generation(tmp_path: Path) -> None:
    model = LocalModel.from_pretrained(build_tiny_chat_checkpoint(tmp_path, eos_first=True))
    response = model.generate(QUESTION, settings=GenerationSettings(max_tokens=30))
    assert response.finish_reason == "stop"
    assert response.usage.output_tokens == 1
    assert response.text == ""
    assert list(model.stream(QUESTION)) == []


def test_count_tokens_uses_the_tokenizer(tiny: LocalModel) -> None:
    text = "The capital of France is Paris."
    assert tiny.count_tokens(text) == len(tiny.tokenizer.encode(text, add_special_tokens=False))
    assert tiny.count_tokens("") == 0


def test_missing_checkpoint_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"config\.json"):
        LocalModel.from_pretrained(tmp_path / "nothing-here")
    with pytest.raises(ModelNotFoundError, match="GGUF file not found"):
        LocalModel.from_pretrained(tmp_path / "model.gguf")


def test_a_tokenizer_without_chat_template_is_refused(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = tmp_path / "no-template"
    shutil.copytree(tiny_checkpoint, folder)
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    config = folder / "tokenizer_config.json"
    config.write_text(config.read_text().replace('"chat_template"', '"unused_template"'))
    with pytest.raises(ConfigurationError, match="no chat template"):
        LocalModel.from_pretrained(folder)


def test_empty_conversation_is_refused(tiny: LocalModel) -> None:
    with pytest.raises(ConfigurationError, match="empty"):
        tiny.generate([])


def test_unknown_dtype_is_refused(tiny_checkpoint: Path) -> None:
    with pytest.raises(ConfigurationError, match="dtype"):
        LocalModel.from_pretrained(tiny_checkpoint, dtype="float7")


def test_cut_at_stop_takes_the_earliest_stop() -> None:
    assert _cut_at_stop("a, b. c", (".", ",")) == "a"
    assert _cut_at_stop("abc", ("x",)) == "abc"


def test_stable_length_holds_back_partial_stops_and_bytes() -> None:
    assert _stable_length("hello wor", ("world",)) == len("hello ")
    assert _stable_length("hello", ("world",)) == 5
    assert _stable_length("caf\ufffd", ()) == 3
    assert _stable_length("abc", ()) == 3


def test_parse_tool_calls_reads_bare_and_tagged_json() -> None:
    text, calls = _parse_tool_calls('{"name": "add", "arguments": {"a": 1}}', [ADD_TOOL])
    assert text == ""
    assert [(c.name, dict(c.arguments)) for c in calls] == [("add", {"a": 1})]
    text, calls = _parse_tool_calls(
        'Sure. <tool_call>{"name": "add", "arguments": {"a": 2}}</tool_call>', [ADD_TOOL]
    )
    assert text == "Sure."
    assert calls[0].arguments == {"a": 2}


def test_parse_tool_calls_ignores_unknown_tools_and_bad_json() -> None:
    for text in ('{"name": "rm", "arguments": {}}', '{"name": "add", "arguments": 3}', "{oops"):
        assert _parse_tool_calls(text, [ADD_TOOL]) == (text, ())


def test_unconstrained_tool_calls_parse_what_the_model_writes(tiny_checkpoint: Path) -> None:
    model = LocalModel.from_pretrained(tiny_checkpoint, constrained_tools=False)
    response = model.generate(QUESTION, tools=[ADD_TOOL], settings=GenerationSettings(max_tokens=5))
    # random weights write no JSON: the text comes back unchanged, with no calls
    assert response.tool_calls == ()
    assert response.finish_reason == "length"


# -- the stock LLM --------------------------------------------------------------------


@pytest.mark.stock
def test_stock_llm_knows_the_capital_of_france(stock_llm: LocalModel) -> None:
    response = stock_llm.generate(QUESTION, settings=GenerationSettings(max_tokens=40))
    assert "Paris" in response.text
    assert response.finish_reason == "stop"
    assert response.usage.output_tokens > 0


@pytest.mark.stock
def test_stock_llm_stream_matches_generate(stock_llm: LocalModel) -> None:
    messages = [Message.user("Name three colours of the rainbow.")]
    settings = GenerationSettings(max_tokens=48)
    expected = stock_llm.generate(messages, settings=settings)
    stream = stock_llm.stream(messages, settings=settings)
    deltas = list(stream)
    assert len(deltas) > 3
    assert "".join(deltas) == expected.text
    assert stream.response.usage == expected.usage


@pytest.mark.stock
def test_stock_llm_stops_on_stop_string(stock_llm: LocalModel) -> None:
    response = stock_llm.generate(QUESTION, settings=GenerationSettings(stop=(" is",)))
    assert response.text == "The capital of France"
    assert response.usage.output_tokens < 8


def test_a_local_model_reads_text_only(tiny: LocalModel) -> None:
    import numpy as np

    from agentsdk import ConfigurationError, Image, Message

    picture = Image(np.zeros((4, 4, 3), dtype=np.uint8))
    with pytest.raises(ConfigurationError, match="reads text only"):
        tiny.generate([Message.user("what is this?", media=[picture])])
    with pytest.raises(ConfigurationError, match="perception='encoders'"):
        tiny.stream([Message.user("what is this?", media=[picture])])
    assert tiny.remote is False


# -- extractive replies (agentsdk.models.extractive) -----------------------------------

RECEIPT = "ORCHARD STORES\nIssued 3 Mar 2032\nKettle 19.99\nToaster 24.50\nMugs 6.25\nTOTAL 50.74"


class WordRanker:
    """A tool ranker with a fixed verdict and a bag-of-words sentence embedding."""

    def __init__(self, chosen: str | None) -> None:
        self.chosen = chosen
        self.threshold = 0.5

    def scores(self, request: str, specs: Sequence[Any]) -> list[float]:
        return [1.0 if s.name == self.chosen else 0.0 for s in specs]

    def embed(self, texts: Sequence[str]) -> Any:
        import torch

        rows = torch.zeros(len(texts), 512)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                rows[row, zlib.crc32(word.encode()) % 512] += 1
        return torch.nn.functional.normalize(rows, dim=-1)


def reading(model: LocalModel, question: str, **settings: Any) -> GenerationSettings:
    return GenerationSettings(
        max_tokens=32,
        request=(question,),
        sources=(RECEIPT,),
        evidence=(question, RECEIPT),
        **settings,
    )


def spans_of(text: str) -> set[str]:
    from agentsdk.models.extractive import line_spans

    return {s.text for i, line in enumerate(text.splitlines()) for s in line_spans(line, i)}


@pytest.fixture
def reader(tiny_checkpoint: Path) -> LocalModel:
    return LocalModel.from_pretrained(
        tiny_checkpoint, grounded="auto", tool_ranker=WordRanker(None)
    )


def test_grounded_auto_chooses_an_answer_from_what_was_read(reader: LocalModel) -> None:
    question = "How much is the toaster?"
    reply = reader.generate([Message.user(question)], settings=reading(reader, question))
    # random weights: which span is unknowable, that it is one of what was read is not
    assert reply.text in spans_of(RECEIPT)
    assert reply.tool_calls == () and reply.finish_reason == "stop"
    streamed = reader.stream([Message.user(question)], settings=reading(reader, question))
    assert "".join(streamed) == reply.text


def test_grounded_auto_leaves_plain_chat_alone(reader: LocalModel) -> None:
    plain = reader.generate(
        [Message.user("hello")], settings=GenerationSettings(max_tokens=6, stop=("\n",))
    )
    assert plain.usage.output_tokens >= 1 and not plain.text.startswith("{")


def test_a_template_is_filled_from_the_lines_the_request_names(tiny_checkpoint: Path) -> None:
    from agentsdk.toolbox import calculator

    model = LocalModel.from_pretrained(
        tiny_checkpoint, grounded="auto", tool_ranker=WordRanker("calculator")
    )
    question = "What do the kettle and the mugs cost together?"
    reply = model.generate(
        [Message.user(question)], tools=[calculator.schema()], settings=reading(model, question)
    )
    assert [c.name for c in reply.tool_calls] == ["calculator"]
    assert sorted(reply.tool_calls[0].arguments["expression"].split(" + ")) == ["19.99", "6.25"]
    assert reply.finish_reason == "tool_calls"


def test_after_a_tool_result_the_extractive_answer_is_the_result(reader: LocalModel) -> None:
    question = "What do the kettle and the mugs cost together?"
    messages = [
        Message.user(question),
        Message.assistant("", [ToolCall("calculator", {"expression": "19.99 + 6.25"}, "c1")]),
        Message.tool(ToolResult("c1", "calculator", "26.24")),
    ]
    assert reader.generate(messages, settings=reading(reader, question)).text == "26.24"


def test_likelihoods_keep_the_shared_start_of_the_previous_prompt(reader: LocalModel) -> None:
    lines = "\n".join(f"line {i} holds {i * 7}" for i in range(12))
    first, second = lines + "\nQuestion: one?", lines + "\nQuestion: two?"
    options = ["7", "14", "line 3"]
    reader._prompt_cache = None
    reader.likelihoods(first, options)
    kept = reader.likelihoods(second, options)  # reads only what follows the shared start
    assert reader._prompt_cache is not None and len(reader._prompt_cache[0]) > 16
    reader._prompt_cache = None
    fresh = reader.likelihoods(second, options)
    assert kept == pytest.approx(fresh, abs=1e-4)
    assert reader.likelihoods(second, options) == pytest.approx(fresh, abs=1e-4)  # all shared


def test_a_text_only_calculation_takes_the_request_numbers(tiny_checkpoint: Path) -> None:
    from agentsdk.toolbox import calculator

    model = LocalModel.from_pretrained(
        tiny_checkpoint, grounded="auto", tool_ranker=WordRanker("calculator")
    )
    question = "What is 17.5 times 4?"
    said = GenerationSettings(max_tokens=32, request=(question,))
    reply = model.generate([Message.user(question)], tools=[calculator.schema()], settings=said)
    assert [dict(c.arguments) for c in reply.tool_calls] == [{"expression": "17.5 * 4"}]
    messages = [
        Message.user(question),
        Message.assistant("", [ToolCall("calculator", {"expression": "17.5 * 4"}, "c1")]),
        Message.tool(ToolResult("c1", "calculator", "70")),
    ]
    assert model.generate(messages, tools=[calculator.schema()], settings=said).text == "70"
    # not grounded: the model writes its own reply, whatever it is
    free = LocalModel.from_pretrained(
        tiny_checkpoint, grounded=False, tool_ranker=WordRanker("calculator")
    )
    written = free.generate(messages, tools=[calculator.schema()], settings=said)
    assert written.usage.output_tokens >= 1


@pytest.mark.stock
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What do the kettle and the mugs cost together?", {"19.99 + 6.25", "6.25 + 19.99"}),
        ("We are four, split the total. How much each?", {"50.74 / 4"}),
    ],
)
def test_stock_llm_computes_from_what_was_read(
    stock_llm: LocalModel, question: str, expected: set[str]
) -> None:
    from agentsdk.toolbox import calculator

    reply = stock_llm.generate(
        [Message.user(question)],
        tools=[calculator.schema()],
        settings=reading(stock_llm, question),
    )
    assert [c.arguments["expression"] for c in reply.tool_calls][:1] in ([e] for e in expected)


@pytest.mark.stock
@pytest.mark.parametrize(
    ("question", "expected"),
    [("How much is the toaster?", "24.50"), ("When was it issued?", "3 Mar 2032")],
)
def test_stock_llm_reads_the_answer_off_the_lines(
    stock_llm: LocalModel, question: str, expected: str
) -> None:
    from agentsdk.toolbox import calculator

    reply = stock_llm.generate(
        [Message.user(question)], tools=[calculator.schema()], settings=reading(stock_llm, question)
    )
    assert (reply.text, reply.tool_calls) == (expected, ())


def test_length_batches_read_few_tokens_and_skip_nothing_to_read() -> None:
    from agentsdk.models.local import length_batches

    lengths = [4, 20, 11, 9, 8, 7, 1, 0]
    batches = length_batches(lengths, max_rows=32, overhead=25)
    assert sorted(i for b in batches for i in b) == [0, 1, 2, 3, 4, 5, 6]  # 7 reads nothing
    for batch in batches:
        assert [lengths[i] for i in batch] == sorted(lengths[i] for i in batch)
    assert length_batches([5, 5, 5], max_rows=2, overhead=0) in ([[0], [1, 2]], [[0, 1], [2]])
    assert length_batches([1, 30], max_rows=8, overhead=0) == [[0], [1]]  # no padding to 30
    assert length_batches([1, 30], max_rows=8, overhead=100) == [[0, 1]]  # a pass costs more
    assert length_batches([], max_rows=4) == []
