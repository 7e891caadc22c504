"""The grammars of constrained replies: compiled once per schema, and their guarantee on
a tiny random-weight checkpoint (garbage logits must still give valid JSON), streamed
or not; the stock LLM streams as it generates."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agentsdk import GenerationSettings, LocalModel, Message
from agentsdk.errors import MissingDependencyError
from agentsdk.models.toolcalls import grammar as c
from agentsdk.models.toolcalls.prompt import parse_reply
from agentsdk.models.toolcalls.schema import call_schema, reply_schema, tool_specs
from tests.models.toolcalls.samples import (
    ADD,
    NOTE,
    QUESTION,
    TOOL_SETS,
    WEATHER,
    FixedRanker,
    assert_valid,
    record_parses,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint: Path) -> LocalModel:
    return LocalModel.from_pretrained(tiny_checkpoint)


def test_missing_xgrammar_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xgrammar", None)
    with pytest.raises(MissingDependencyError, match=r"agentsdk\[kit\]"):
        c._xgrammar()


# -- grammars on a tiny random model ---------------------------------------------------------


def test_grammars_are_compiled_once_per_schema(tiny: LocalModel) -> None:
    grammars = tiny.tool_grammars()
    assert tiny.tool_grammars() is grammars
    specs = tool_specs([WEATHER, ADD])
    before = grammars.compilations
    first = grammars.compile(reply_schema(specs))
    # the same schema with its keywords in another order (properties keep theirs)
    reordered = {"anyOf": [dict(reversed(b.items())) for b in reply_schema(specs)["anyOf"]]}
    assert grammars.compile(reply_schema(specs)) is first
    assert grammars.compile(reordered) is first
    assert grammars.compilations == before + 1
    grammars.compile(reply_schema(specs[:1]))
    assert grammars.compilations == before + 2


def test_generate_reuses_compiled_grammars(tiny: LocalModel) -> None:
    settings = GenerationSettings(max_tokens=20)
    tiny.generate(QUESTION, tools=[WEATHER, ADD], settings=settings)
    before = tiny.tool_grammars().compilations
    tiny.generate(QUESTION, tools=[WEATHER, ADD], settings=settings)
    tiny.generate([Message.user("Add 2 and 3.")], tools=[ADD, WEATHER], settings=settings)
    assert tiny.tool_grammars().compilations <= before + 2  # at most the two new branches
    compiled_now = tiny.tool_grammars().compilations
    tiny.generate([Message.user("Add 2 and 3.")], tools=[ADD, WEATHER], settings=settings)
    assert tiny.tool_grammars().compilations == compiled_now


# The tiny tokenizer has few merges: the shortest complete call to save_note is 81 tokens
# long, so budgets here are larger than the stock LLM would need.
SAMPLINGS = {
    "greedy": GenerationSettings(max_tokens=120),
    "hot": GenerationSettings(max_tokens=120, temperature=1.5, seed=1),
    "nucleus": GenerationSettings(max_tokens=200, temperature=1.0, top_p=0.9, seed=2),
    "top-k": GenerationSettings(max_tokens=110, temperature=1.2, top_k=20, seed=3),
    "penalised": GenerationSettings(
        max_tokens=150, temperature=1.0, repetition_penalty=1.5, seed=4
    ),
}


@pytest.mark.parametrize("sampling", list(SAMPLINGS))
@pytest.mark.parametrize("tool_set", list(TOOL_SETS))
def test_random_weights_still_give_valid_replies(
    tiny: LocalModel,
    monkeypatch: pytest.MonkeyPatch,
    sampling: str,
    tool_set: str,
) -> None:
    tools = TOOL_SETS[tool_set]
    parses = record_parses(monkeypatch)
    response = tiny.generate(QUESTION, tools=tools, settings=SAMPLINGS[sampling])
    assert parses and parses[0] is not None  # valid on the first attempt: no retry
    assert_valid(response, tools)
    assert response.usage.output_tokens <= SAMPLINGS[sampling].max_tokens


def test_many_seeds_give_valid_tool_calls(
    tiny: LocalModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the call branch forced, every seed must produce schema-valid arguments."""
    tools = [NOTE, ADD]
    parses = record_parses(monkeypatch)
    monkeypatch.setattr(tiny, "tool_ranker", FixedRanker({"save_note": 1.0, "add": 0.9}))
    calls = 0
    for seed in range(12):
        settings = GenerationSettings(max_tokens=100 + 8 * seed, temperature=1.3, seed=seed)
        response = tiny.generate(QUESTION, tools=tools, settings=settings)
        assert_valid(response, tools)
        calls += bool(response.tool_calls)
    assert calls == 12
    assert all(p is not None for p in parses)


def test_the_budget_guard_closes_the_json_in_time(tiny: LocalModel) -> None:
    """A reply that would ramble on is closed before max_tokens: it still parses, even
    when the budget is exactly the shortest complete reply."""
    import torch

    grammars = tiny.tool_grammars()
    specs = tool_specs([NOTE])
    compiled = grammars.compile(call_schema(specs[0]))
    shortest = grammars.processor(compiled, max_new_tokens=1)._closing_path(500)
    assert shortest is not None
    prompt = tiny.tokenizer("hello", return_tensors="pt")
    torch.manual_seed(0)
    for budget in (len(shortest), len(shortest) + 7, 2 * len(shortest)):
        processor = grammars.processor(compiled, max_new_tokens=budget, repetition_penalty=None)
        out = tiny.model.generate(
            **prompt,
            logits_processor=[processor],
            max_new_tokens=budget,
            do_sample=True,
            temperature=2.0,
            eos_token_id=tiny.tokenizer.eos_token_id,
            pad_token_id=tiny.tokenizer.eos_token_id,
        )
        text = tiny.tokenizer.decode(
            out[0, prompt["input_ids"].shape[1] :], skip_special_tokens=True
        )
        assert parse_reply(text, specs) is not None, text
        if budget == len(shortest):
            assert processor.forced > 0


def test_a_budget_too_small_retries_then_returns_length(
    tiny: LocalModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = record_parses(monkeypatch)
    response = tiny.generate(QUESTION, tools=[NOTE], settings=GenerationSettings(max_tokens=1))
    assert parses == [None, None]  # one retry with twice the budget, then give up
    assert response.tool_calls == ()
    assert response.finish_reason == "length"
    assert response.usage.output_tokens == 3
    assert response.text.startswith("{")


def test_stream_with_tools_gives_what_generate_gives(tiny: LocalModel) -> None:
    settings = GenerationSettings(max_tokens=40)
    for tools in TOOL_SETS.values():
        expected = tiny.generate(QUESTION, tools=tools, settings=settings)
        stream = tiny.stream(QUESTION, tools=tools, settings=settings)
        deltas = list(stream)
        response = stream.response
        assert "".join(deltas) == expected.text == response.text
        assert (response.usage, response.finish_reason) == (
            expected.usage,
            expected.finish_reason,
        )
        # equal but for the fresh id every ToolCall gets
        assert [(t.name, dict(t.arguments)) for t in response.tool_calls] == [
            (t.name, dict(t.arguments)) for t in expected.tool_calls
        ]


def test_a_constrained_answer_streams_token_by_token(
    tiny: LocalModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tiny, "tool_ranker", FixedRanker({}))  # nothing relevant: answer
    settings = GenerationSettings(max_tokens=40)
    expected = tiny.generate(QUESTION, tools=[WEATHER, ADD], settings=settings)
    stream = tiny.stream(QUESTION, tools=[WEATHER, ADD], settings=settings)
    deltas = list(stream)
    assert len(deltas) >= 3 and "".join(deltas) == expected.text == stream.response.text
    early = tiny.stream(QUESTION, tools=[WEATHER, ADD], settings=settings)
    next(early)
    early.close()  # stops the worker; the model is free for the next call at once
    assert tiny.generate(QUESTION, tools=[WEATHER, ADD], settings=settings).text == expected.text


def test_unconstrained_tools_use_the_chat_template(tiny_checkpoint: Path) -> None:
    model = LocalModel.from_pretrained(tiny_checkpoint, constrained_tools=False)
    response = model.generate(QUESTION, tools=[ADD], settings=GenerationSettings(max_tokens=5))
    assert response.tool_calls == ()
    assert response.finish_reason == "length"


# -- the stock LLM ---------------------------------------------------------------------------


@pytest.mark.stock
def test_stock_llm_stream_with_tools_matches_generate(stock_llm: LocalModel) -> None:
    tools = json.loads((ROOT / "evals" / "tool_calls" / "tools.json").read_text())
    settings = GenerationSettings(max_tokens=128)
    for request in ("What's the weather like in Paris?", "Who wrote Hamlet?"):
        messages = [Message.user(request)]
        expected = stock_llm.generate(messages, tools=tools, settings=settings)
        stream = stock_llm.stream(messages, tools=tools, settings=settings)
        deltas = list(stream)
        assert "".join(deltas) == expected.text
        assert len(deltas) > 1 or not expected.text  # an answer streams token by token
        response = stream.response
        assert (response.text, response.finish_reason, response.usage) == (
            expected.text,
            expected.finish_reason,
            expected.usage,
        )
        assert [(t.name, dict(t.arguments)) for t in response.tool_calls] == [
            (t.name, dict(t.arguments)) for t in expected.tool_calls
        ]


def test_a_value_the_request_names_is_the_one_even_a_random_model_writes(
    tiny: LocalModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request names one of an enum's values: whatever else a random model writes,
    that argument is the named value (`schema.named_enums`)."""
    weather = json.loads(json.dumps(WEATHER))
    weather["function"]["parameters"]["required"] = ["city", "unit"]
    monkeypatch.setattr(tiny, "tool_ranker", FixedRanker({"get_weather": 1.0}))
    request = [Message.user("How hot is it in Phoenix, in fahrenheit?")]
    for seed in range(4):
        settings = GenerationSettings(max_tokens=80, temperature=1.3, seed=seed)
        (call,) = tiny.generate(request, tools=[weather], settings=settings).tool_calls
        assert call.arguments["unit"] == "fahrenheit"
