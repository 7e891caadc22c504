"""`RedactingModel`: the wrapped model reads placeholders; its answers come back real."""

from __future__ import annotations

import asyncio
import threading

from agentsdk import (
    Agent,
    FunctionModel,
    GenerationSettings,
    Message,
    PIIVault,
    ScriptedModel,
    ToolCall,
    tool,
)
from agentsdk.models.base import AsyncChatModel, ChatModel, ModelResponse
from agentsdk.models.testing import ModelCall
from agentsdk.safety import pii_guardrail
from agentsdk.safety.redacting_model import RedactingModel

MAIL, PHONE = "ana@example.com", "+44 20 7946 0958"


class SyncOnly:
    """A chat model without `agenerate`, answering from a worker thread."""

    name, remote = "sync-only", True

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.seen: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, messages, *, tools=(), settings=None):  # type: ignore[no-untyped-def]
        self.threads.append(threading.current_thread().name)
        self.seen.append(messages[-1].content)
        return ModelResponse("Call <PHONE_1>.")

    def stream(self, messages, *, tools=(), settings=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def test_the_wrapped_model_reads_placeholders_and_the_answer_comes_back_real() -> None:
    inner = ScriptedModel([ToolCall("mail", {"to": "<EMAIL_1>", "cc": ["<PHONE_1>"]}), "ok"])
    model = RedactingModel(inner)
    settings = GenerationSettings(evidence=(f"write to {MAIL}",), request=(f"call {PHONE}",))
    messages = [Message.system("be brief"), Message.user(f"Mail {MAIL}, or call {PHONE}")]
    response = model.generate(messages, settings=settings)
    seen = inner.calls[0]
    assert seen.messages[0] is messages[0]  # nothing to redact: the same message
    assert MAIL not in seen.messages[1].content and "<EMAIL_1>" in seen.messages[1].content
    assert seen.settings.evidence == ("write to <EMAIL_1>",)
    assert seen.settings.request == ("call <PHONE_1>",)
    assert response.tool_calls[0].arguments == {"to": MAIL, "cc": [PHONE]}
    # the next turn: the restored call and a tool result are redacted again, alike
    history = [
        *messages,
        response.to_message(),
        Message("tool", f"sent to {MAIL}", tool_call_id="1"),
    ]
    assert model.generate(history).text == "ok"
    second = inner.calls[1].messages
    assert second[2].tool_calls[0].arguments == {"to": "<EMAIL_1>", "cc": ["<PHONE_1>"]}
    assert second[3].content == "sent to <EMAIL_1>"
    assert model.vault.mapping == {"<EMAIL_1>": MAIL, "<PHONE_1>": PHONE}


def test_it_is_a_chat_model_and_keeps_what_the_model_wrote() -> None:
    model = RedactingModel(FunctionModel(lambda m: "Write to <EMAIL_1>.", remote=True))
    assert isinstance(model, ChatModel) and isinstance(model, AsyncChatModel)
    assert (model.name, model.remote) == ("function", True)
    assert model.generate([Message.user(f"I am {MAIL}")]).text == f"Write to {MAIL}."
    assert model.written == "Write to <EMAIL_1>."
    assert "RedactingModel(" in repr(model) and MAIL not in repr(model)


def test_a_saved_vault_keeps_the_placeholders() -> None:
    first = RedactingModel(ScriptedModel(["a"]))
    first.generate([Message.user(f"{PHONE} then {MAIL}")])
    again = ScriptedModel(["b"])
    RedactingModel(again, PIIVault.from_dict(first.vault.to_dict())).generate(
        [Message.user(f"only {MAIL}")]
    )
    assert again.calls[0].messages[0].content == "only <EMAIL_1>"


def test_streams_end_restored_and_async_models_answer_on_the_loop() -> None:
    model = RedactingModel(ScriptedModel(["Mail <EMAIL_1> now", "Mail <EMAIL_1>"]))
    stream = model.stream([Message.user(f"ask {MAIL}")])
    assert "".join(stream) == "Mail <EMAIL_1> now"  # deltas as the model wrote them
    assert stream.response.text == f"Mail {MAIL} now"
    assert asyncio.run(model.agenerate([Message.user(MAIL)])).text == f"Mail {MAIL}"


def test_a_sync_model_is_called_from_a_worker_thread() -> None:
    inner = SyncOnly()
    model = RedactingModel(inner)  # type: ignore[arg-type]
    answer = asyncio.run(model.agenerate([Message.user(f"call {PHONE}")]))
    assert answer.text == f"Call {PHONE}."
    assert inner.seen == ["call <PHONE_1>"]
    assert inner.threads and inner.threads[0] != threading.main_thread().name


def test_the_agent_wraps_a_remote_model_the_result_holds_real_values() -> None:
    sent: list[str] = []

    @tool
    def send(to: str) -> str:
        """Send a note.

        Args:
            to: The address.
        """
        sent.append(to)
        return f"sent to {to}"

    def reply(messages: list[Message], call: ModelCall) -> ToolCall | str:
        if messages[-1].role == "user":
            return ToolCall("send", {"to": "<EMAIL_1>"})
        return "Sent to <EMAIL_1>."

    model = FunctionModel(reply, remote=True)
    agent = Agent(model=model, tools=[send], guardrails=[pii_guardrail()])
    result = agent.run(f"Send a note to {MAIL}")
    assert sent == [MAIL] and result.text == f"Sent to {MAIL}."
    # the conversation holds the real values; the model read placeholders only
    assert MAIL in result.messages[1].content and result.messages[-1].content == result.text
    assert all(MAIL not in m.content for c in model.calls for m in c.messages)
    # the PII output guardrail read what the model wrote (placeholders): it did not trip
    assert result.state is not None and not any(
        entry.action == "guardrail" for entry in result.state.audit
    )
