"""Generation settings, usage and the stream wrapper."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from agentsdk import (
    ConfigurationError,
    GenerationError,
    GenerationSettings,
    Message,
    ModelResponse,
    ModelStream,
    ToolCall,
    Usage,
)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_tokens": 0},
        {"temperature": -1},
        {"temperature": float("nan")},
        {"top_p": 0},
        {"top_k": 0},
        {"repetition_penalty": 0},
        {"stop": "abc"},
        {"stop": ("",)},
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        GenerationSettings(**kwargs)  # type: ignore[arg-type]


def test_defaults_are_greedy() -> None:
    assert not GenerationSettings().sampling
    assert GenerationSettings(temperature=0.7).sampling


def test_usage_adds_up() -> None:
    total = Usage(3, 4) + Usage(10, 1)
    assert total == Usage(13, 5)
    assert total.total_tokens == 18


def test_response_becomes_an_assistant_message() -> None:
    call = ToolCall("f", {})
    assert ModelResponse("", (call,)).to_message() == Message.assistant("", [call])


def _deltas() -> Generator[str, None, ModelResponse]:
    yield "Hel"
    yield "lo"
    return ModelResponse("Hello", usage=Usage(1, 2))


def test_stream_yields_deltas_then_response() -> None:
    stream = ModelStream(_deltas())
    assert list(stream) == ["Hel", "lo"]
    assert stream.response.text == "Hello"
    assert list(stream) == []


def test_response_drains_the_stream() -> None:
    assert ModelStream(_deltas()).response.usage == Usage(1, 2)


def test_closed_stream_has_no_response() -> None:
    with ModelStream(_deltas()) as stream:
        assert next(stream) == "Hel"
    with pytest.raises(GenerationError, match="closed"):
        _ = stream.response
