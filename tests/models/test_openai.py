"""OpenAIModel: the wire format against a recording server, errors, retries, the key,
and (stock) a real third-party server, `transformers serve`, on the stock weights."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agentsdk import (
    Agent,
    Audio,
    GenerationSettings,
    Image,
    Message,
    ModelUnreachableError,
    RemoteModelError,
    ToolCall,
    tool,
)
from agentsdk.errors import ConfigurationError
from agentsdk.models.openai import OpenAIModel, estimate_tokens, normalise_base_url
from tests.openai_server import Events, RecordingServer, Slow, Status, chunk, completion
from tools.transformers_server import free_port, transformers_serve

KEY = "sk-test-0123456789abcdef-secret"


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer().running() as running:
        yield running


def _model(server: RecordingServer, **options: Any) -> OpenAIModel:
    options.setdefault("max_retries", 0)
    return OpenAIModel("served-model", base_url=server.url, api_key=KEY, **options)


# -- plain and streamed answers ---------------------------------------------------------


def test_a_plain_answer_and_the_request_it_sent(server: RecordingServer) -> None:
    server.replies.append(completion("Paris.", usage=(12, 3)))
    settings = GenerationSettings(max_tokens=20, stop=("\n\n",), seed=7)
    response = _model(server).generate(
        [Message.system("Be brief."), Message.user("Capital of France?")], settings=settings
    )
    assert response.text == "Paris." and response.tool_calls == ()
    assert response.finish_reason == "stop" and response.model == "served-model"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (12, 3)
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["authorization"] == f"Bearer {KEY}", headers
    assert request.body == {
        "model": "served-model",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?"},
        ],
        "max_tokens": 20,
        "temperature": 0.0,
        "stop": ["\n\n"],
        "seed": 7,
    }


def test_sampling_settings_servers_read_go_in_the_body(server: RecordingServer) -> None:
    server.replies.append(completion("x"))
    settings = GenerationSettings(temperature=0.7, top_p=0.9, top_k=40, repetition_penalty=1.1)
    model = _model(server, max_tokens_field="max_completion_tokens")
    model.generate([Message.user("hi")], settings=settings)
    body = server.requests[0].body
    assert body["temperature"] == 0.7 and body["top_p"] == 0.9
    assert body["top_k"] == 40 and body["repetition_penalty"] == 1.1
    assert body["max_completion_tokens"] == 512 and "max_tokens" not in body


def test_a_cut_answer_says_length(server: RecordingServer) -> None:
    server.replies.append(completion("The capital of", finish="length"))
    assert _model(server).generate([Message.user("q")]).finish_reason == "length"


def test_streamed_deltas_make_the_same_response(server: RecordingServer) -> None:
    server.replies.append(
        Events(
            [
                chunk(content="Par"),
                chunk(content="is"),
                chunk(content="."),
                chunk(finish="stop"),
                chunk(usage=(9, 3)),
            ]
        )
    )
    stream = _model(server).stream([Message.user("Capital of France?")])
    assert list(stream) == ["Par", "is", "."]
    response = stream.response
    assert response.text == "Paris." and response.usage.total_tokens == 12
    body = server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_closing_a_stream_closes_the_connection(server: RecordingServer) -> None:
    server.replies.append(Events([chunk(content=f"w{i} ") for i in range(200)], delay=0.01))
    stream = _model(server).stream([Message.user("talk")])
    assert next(stream) == "w0 "
    stream.close()
    assert server.disconnected.wait(5), "the server kept streaming to a closed stream"
    assert server.sent_chunks < 200
    with pytest.raises(Exception, match="closed before the model finished"):
        _ = stream.response


# -- tool calls -------------------------------------------------------------------------

WEATHER = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "Weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_tool_calls_and_their_results_on_the_wire(server: RecordingServer) -> None:
    server.replies.append(
        completion(
            None,
            tool_calls=[
                ("c1", "weather", '{"city": "Oslo"}'),
                ("c2", "weather", '{"city": "Rome"}'),
            ],
            finish="tool_calls",
        )
    )
    model = _model(server)
    templated = {
        "type": "function",
        "function": {**WEATHER["function"], "x-agentsdk-templates": []},
    }
    response = model.generate([Message.user("Weather in Oslo and Rome?")], tools=[templated])
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls == (
        ToolCall("weather", {"city": "Oslo"}, "c1"),
        ToolCall("weather", {"city": "Rome"}, "c2"),
    )
    assert server.requests[0].body["tools"] == [WEATHER]  # our extension keys stay home
    server.replies.append(completion("Cold in Oslo, warm in Rome."))
    from agentsdk import ToolResult

    model.generate(
        [
            Message.user("Weather?"),
            response.to_message(),
            Message.tool(ToolResult("c1", "weather", "2 C")),
        ]
    )
    sent = server.requests[1].body["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
            },
            {
                "id": "c2",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Rome"}'},
            },
        ],
    }
    assert sent[2] == {"role": "tool", "content": "2 C", "tool_call_id": "c1"}


def test_streamed_tool_call_fragments_are_assembled(server: RecordingServer) -> None:
    def fragment(index: int, **function: str) -> dict[str, Any]:
        call: dict[str, Any] = {"index": index, "function": function}
        if "name" in function:
            call.update(id=f"call_{index}", type="function")
        return call

    server.replies.append(
        Events(
            [
                chunk(content="Checking. "),
                chunk(tool_calls=[fragment(0, name="weather", arguments="")]),
                chunk(tool_calls=[fragment(0, arguments='{"ci')]),
                chunk(tool_calls=[fragment(0, arguments='ty": "Oslo"}')]),
                chunk(tool_calls=[fragment(1, name="weather", arguments='{"city":')]),
                chunk(tool_calls=[fragment(1, arguments=' "Rome"}')]),
                chunk(finish="tool_calls"),
            ]
        )
    )
    stream = _model(server).stream([Message.user("Weather?")], tools=[WEATHER])
    assert "".join(stream) == "Checking. "
    response = stream.response
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls == (
        ToolCall("weather", {"city": "Oslo"}, "call_0"),
        ToolCall("weather", {"city": "Rome"}, "call_1"),
    )


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [('{"city": "Os', "not valid JSON"), ('["Oslo"]', "a JSON list, not an object")],
)
def test_malformed_arguments_make_a_malformed_call(
    server: RecordingServer, arguments: str, problem: str
) -> None:
    server.replies.append(completion(None, tool_calls=[("c1", "weather", arguments)]))
    [call] = _model(server).generate([Message.user("q")], tools=[WEATHER]).tool_calls
    assert call.name == "weather" and call.arguments == {} and call.id == "c1"
    assert call.malformed is not None and problem in call.malformed


ran: list[str] = []


@tool
def weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city's name.
    """
    ran.append(city)
    return f"sunny in {city}"


@pytest.mark.parametrize("streamed", [False, True])
def test_a_tool_round_trip_through_the_agent_loop(server: RecordingServer, streamed: bool) -> None:
    ran.clear()
    if streamed:
        server.replies += [
            Events(
                [
                    chunk(
                        tool_calls=[
                            {
                                "index": 0,
                                "id": "c9",
                                "type": "function",
                                "function": {"name": "weather", "arguments": '{"city"'},
                            }
                        ]
                    ),
                    chunk(tool_calls=[{"index": 0, "function": {"arguments": ': "Lima"}'}}]),
                    chunk(finish="tool_calls"),
                ]
            ),
            Events(
                [chunk(content="It is sunny "), chunk(content="in Lima."), chunk(finish="stop")]
            ),
        ]
    else:
        server.replies += [
            completion(
                None, tool_calls=[("c9", "weather", '{"city": "Lima"}')], finish="tool_calls"
            ),
            completion("It is sunny in Lima."),
        ]
    agent = Agent(model=_model(server), tools=[weather], instructions="Use tools.")
    if streamed:
        from agentsdk.events import TokenDelta
        from agentsdk.run import final_result

        events = list(agent.stream_sync("Weather in Lima?"))
        result = final_result(events)
        assert "".join(e.text for e in events if isinstance(e, TokenDelta)) == result.text
    else:
        result = agent.run("Weather in Lima?")
    assert ran == ["Lima"]
    assert result.text == "It is sunny in Lima."
    assert [c.name for c in result.tool_calls] == ["weather"]
    second = server.requests[1].body["messages"]
    assert second[-1] == {"role": "tool", "content": "sunny in Lima", "tool_call_id": "c9"}
    assert second[0] == {"role": "system", "content": "Use tools."}
    assert server.requests[0].body["tools"][0]["function"]["name"] == "weather"


def test_a_malformed_call_reaches_the_model_as_an_error(server: RecordingServer) -> None:
    ran.clear()
    server.replies += [
        completion(None, tool_calls=[("c1", "weather", "{city: Lima")]),
        completion(None, tool_calls=[("c2", "weather", '{"city": "Lima"}')]),
        completion("Sunny."),
    ]
    result = Agent(model=_model(server), tools=[weather]).run("Weather in Lima?")
    assert result.text == "Sunny." and ran == ["Lima"]
    error = server.requests[1].body["messages"][-1]
    assert error["role"] == "tool" and error["tool_call_id"] == "c1"
    assert error["content"].startswith("Error: this tool call could not be read")
    assert result.tool_results[0].is_error and not result.tool_results[1].is_error


# -- errors and retries -----------------------------------------------------------------


def test_a_server_that_is_down_is_a_typed_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = OpenAIModel("m", base_url=url, max_retries=0)
    with pytest.raises(
        ModelUnreachableError, match=f"cannot reach the model server at {re.escape(url)}"
    ):
        model.generate([Message.user("hi")])
    with pytest.raises(ModelUnreachableError) as raised:
        _ = model.stream([Message.user("hi")]).response
    assert raised.value.url == url


def test_rate_limits_and_server_errors_are_retried(server: RecordingServer) -> None:
    quick = {"retry-after-ms": "10"}
    server.replies += [
        Status(429, {"error": {"message": "slow down"}}, quick),
        Status(503, {"error": {"message": "warming up"}}, quick),
        completion("ok"),
    ]
    assert _model(server, max_retries=2).generate([Message.user("hi")]).text == "ok"
    assert len(server.requests) == 3


def test_a_refused_request_names_the_status_and_the_server_message(
    server: RecordingServer,
) -> None:
    server.replies.append(Status(400, {"error": {"message": "model 'x' does not exist"}}))
    with pytest.raises(RemoteModelError, match=r"HTTP 400.*does not exist") as raised:
        _model(server).generate([Message.user("hi")])
    assert raised.value.status == 400 and KEY not in str(raised.value)


@pytest.mark.parametrize(
    "body",
    [
        {"detail": "Server is pinned to 'm1'; requested 'x'."},
        {"detail": [{"loc": ["body", "model"], "msg": "Server is pinned to 'm1'"}]},
    ],
)
def test_a_fastapi_servers_detail_is_the_message(server: RecordingServer, body: object) -> None:
    server.replies.append(Status(400, body))  # type: ignore[arg-type]
    with pytest.raises(RemoteModelError, match=r"HTTP 400.*pinned to 'm1'"):
        _model(server).generate([Message.user("hi")])


def test_a_server_that_does_not_answer_in_time_times_out(server: RecordingServer) -> None:
    server.replies.append(Slow(2.0, completion("late")))
    with pytest.raises(ModelUnreachableError, match="did not answer in time"):
        _model(server, timeout=0.3).generate([Message.user("hi")])


def test_the_key_is_never_shown_or_saved(
    server: RecordingServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from agentsdk import SQLiteCheckpointStore

    caplog.set_level(logging.DEBUG)  # the openai client and httpx log requests at DEBUG

    @tool(approval="always")
    def pay(amount: float) -> str:
        """Pay.

        Args:
            amount: How much.
        """
        return "paid"

    server.replies += [completion(None, tool_calls=[("c1", "pay", '{"amount": 5}')])]
    model = _model(server)
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    result = Agent(model=model, tools=[pay], checkpointer=store).run("pay 5")
    assert result.paused and result.state is not None
    server.replies.append(completion("Paid."))
    done = Agent(model=model, tools=[pay], checkpointer=store).resume(
        result.state.approve(result.interruptions[0])
    )
    assert done.text == "Paid."
    saved = (tmp_path / "runs.db").read_bytes()
    for text in (
        repr(model),
        done.trace.to_jsonl(),
        done.state.to_json() if done.state else "",
        json.dumps([e.to_dict() for e in store.audit()]),
    ):
        assert KEY not in text
    assert KEY.encode() not in saved
    assert caplog.records and KEY not in caplog.text
    assert not any(KEY in str(v) for v in vars(model).values())


# -- media, names, budgets --------------------------------------------------------------


def test_media_go_as_content_parts(server: RecordingServer) -> None:
    server.replies.append(completion("A red square and a beep."))
    picture = Image(np.full((8, 12, 3), (255, 0, 0), dtype=np.uint8), name="red")
    tone = np.sin(np.linspace(0, 440 * 2 * np.pi, 8000)).astype(np.float32) * 0.5
    clip = Audio(tone, sample_rate=8000, name="beep")
    _model(server).generate([Message.user("What is this?", media=[picture, clip])])
    text, image_part, audio_part = server.requests[0].body["messages"][0]["content"]
    assert text == {"type": "text", "text": "What is this?"}
    url = image_part["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert Image(base64.b64decode(url.split(",", 1)[1])).size == (12, 8)
    assert audio_part["type"] == "input_audio" and audio_part["input_audio"]["format"] == "wav"
    heard = Audio(io.BytesIO(base64.b64decode(audio_part["input_audio"]["data"])).getvalue())
    assert heard.sample_rate == 16_000 and abs(heard.duration - 1.0) < 0.01


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:8000", "http://localhost:8000/v1"),
        ("http://gpu-box:8000/", "http://gpu-box:8000/v1"),
        ("https://api.example.com/v1/", "https://api.example.com/v1"),
        ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"),
    ],
)
def test_base_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


def test_a_bad_url_or_a_missing_key_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIModel("gpt-4o-mini")
    with pytest.raises(ConfigurationError, match="not an http"):
        OpenAIModel("m", base_url="ftp://host/v1")
    with pytest.raises(ConfigurationError, match="model's name"):
        OpenAIModel(" ", base_url="http://h/v1")


def test_the_environment_names_the_server_and_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://10.0.0.5:8000/v1")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    model = OpenAIModel("m")
    assert model.base_url == "http://10.0.0.5:8000/v1" and KEY not in repr(model)


def test_it_is_a_remote_chat_model_that_estimates_tokens() -> None:
    from agentsdk import ChatModel

    model = OpenAIModel("m", base_url="http://127.0.0.1:9/v1")
    assert isinstance(model, ChatModel) and model.remote
    assert model.count_tokens("") == 0
    assert model.count_tokens("a b c") == 3
    assert model.count_tokens("x" * 400) == 100 == estimate_tokens("x" * 400)
    assert OpenAIModel("m", base_url="http://h/v1", count_tokens=len).count_tokens("abc") == 3


# -- a real third-party server: transformers serve on the stock weights -------------------


@pytest.fixture(scope="module")
def served(stock_llm: Any) -> Iterator[str]:
    """`transformers serve` on the stock model's checkpoint folder, on loopback."""
    with transformers_serve(stock_llm.load_info.checkpoint) as url:
        yield url


@pytest.mark.stock
def test_transformers_serve_answers_plain_and_streamed_alike(served: str, stock_llm: Any) -> None:
    model = OpenAIModel(str(stock_llm.load_info.checkpoint), base_url=served)
    messages = [Message.user("What is the capital of France?")]
    settings = GenerationSettings(max_tokens=24)
    plain = model.generate(messages, settings=settings)
    assert "Paris" in plain.text and plain.usage.output_tokens > 0
    stream = model.stream(messages, settings=settings)
    deltas = list(stream)
    assert len(deltas) > 1 and "".join(deltas) == plain.text == stream.response.text
    local = stock_llm.generate(messages, settings=settings)
    assert local.text == plain.text  # the same weights, greedy: the same answer


@pytest.mark.stock
def test_an_agent_turn_through_transformers_serve(served: str, stock_llm: Any) -> None:
    from agentsdk.router import Router

    model = OpenAIModel(str(stock_llm.load_info.checkpoint), base_url=served)
    agent = Agent(model=model, router=Router(), settings=GenerationSettings(max_tokens=24))
    result = agent.run("What is the capital of France? Write me at a@b.example.")
    assert "Paris" in result.text and result.usage.output_tokens > 0
    # the server read a placeholder (the agent wrapped the model in a RedactingModel); the
    # conversation kept for the user holds the real address
    assert result.state is not None
    assert result.state.vault["placeholders"] == {"<EMAIL_1>": "a@b.example"}
    assert "a@b.example" in result.messages[1].content


@pytest.fixture(scope="module")
def tool_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`transformers serve` on a tiny Qwen2 trained to call `weather` for Lima, then answer:
    the server itself turns its `<tool_call>` tags into OpenAI tool calls."""
    from tests.tiny_models import build_tool_calling_checkpoint

    folder = build_tool_calling_checkpoint(
        tmp_path_factory.mktemp("tool-model"),
        call=json.dumps({"name": "weather", "arguments": {"city": "Lima"}}),
        answer="It is sunny in Lima.",
    )
    with transformers_serve(folder) as url:
        yield f"{folder}@{url}"


@pytest.mark.server
@pytest.mark.parametrize("streamed", [False, True])
def test_a_tool_round_trip_through_transformers_serve(tool_server: str, streamed: bool) -> None:
    from agentsdk import resolve_model
    from agentsdk.events import TokenDelta, ToolCallStarted
    from agentsdk.router import Router
    from agentsdk.run import final_result

    ran.clear()
    model = resolve_model(f"openai:{tool_server}")
    agent = Agent(
        model=model,
        tools=[weather],
        router=Router(),
        instructions="Use tools.",
        settings=GenerationSettings(max_tokens=60),
    )
    if streamed:
        events = list(agent.stream_sync("What is the weather in Lima today?"))
        result = final_result(events)
        deltas = [e.text for e in events if isinstance(e, TokenDelta)]
        assert len(deltas) > 1 and "".join(deltas) == result.text
        assert [e.call.name for e in events if isinstance(e, ToolCallStarted)] == ["weather"]  # type: ignore[attr-defined]
    else:
        result = agent.run("Weather in Lima?")
    assert ran == ["Lima"]
    assert [(c.name, dict(c.arguments)) for c in result.tool_calls] == [
        ("weather", {"city": "Lima"})
    ]
    assert result.tool_results[0].content == "sunny in Lima"
    assert result.text == "It is sunny in Lima." and result.steps == 2
