"""A chat model that never reads PII: `RedactingModel` wraps any `ChatModel`.

Every message it is given (the user's text and what was perceived, tool results, earlier
turns, the arguments of earlier calls) and the texts of its settings (`evidence`,
`request`, `sources`) reach the wrapped model with each piece of PII replaced by a
placeholder of its `PIIVault` (`<EMAIL_1>`, `<PHONE_2>`...); its answer comes back with
the real values, in the text and in tool-call arguments, so tools and the user get them.
The same value keeps its placeholder for the whole conversation (the vault is saved with
the run's state).

The agent wraps its model this way when `Agent(redact_pii=...)` asks for it (by default
for a remote model); wrap one yourself to use it outside an agent:

>>> private = RedactingModel(OpenAIModel("gpt-4o-mini"))  # doctest: +SKIP

Streamed deltas are the model's own text (placeholders as it wrote them); the response at
the end of the stream is restored. Pixels and sound cannot be redacted: media parts of
messages pass as they are (the agent refuses native media for a remote model unless
`remote_media=True`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Generator, Sequence

from agentsdk.messages import Message
from agentsdk.models.base import (
    AsyncChatModel,
    ChatModel,
    GenerationSettings,
    ModelResponse,
    ModelStream,
    ModelWrapper,
    ToolSchema,
)
from agentsdk.safety.redaction import PIIVault

__all__ = ["RedactingModel"]

_REMEMBERED = 4096
"""Texts whose redaction is remembered (a conversation's messages are read again on every
turn); more, and the memory starts over."""


class RedactingModel(ModelWrapper):
    """`model`, shown placeholders instead of PII (see the module's docstring)."""

    def __init__(self, model: ChatModel, vault: PIIVault | None = None) -> None:
        super().__init__(model)
        self.vault = vault if vault is not None else PIIVault()
        """Placeholders and the values they stand for; save `vault.to_dict()` to go on
        with the same placeholders later."""
        self.written = ""
        """The text of the last answer as the wrapped model wrote it (placeholders, not
        the real values): what an output guardrail that looks for PII should read."""
        self._seen: dict[str, str] = {}  # text -> redacted, for texts read again each turn

    def redact(self, text: str) -> str:
        """`text` as the wrapped model reads it."""
        found = self._seen.get(text)
        if found is None:
            if len(self._seen) >= _REMEMBERED:
                self._seen.clear()
            found = self._seen[text] = self.vault.redact(text)
        return found

    def redacted(
        self, messages: Sequence[Message], settings: GenerationSettings | None
    ) -> tuple[list[Message], GenerationSettings | None]:
        """The messages and the settings as the wrapped model reads them."""
        shown = [self._message(message) for message in messages]
        if settings is not None:
            settings = dataclasses.replace(
                settings,
                evidence=self._texts(settings.evidence),
                request=self._texts(settings.request),
                sources=self._texts(settings.sources),
            )
        return shown, settings

    def restored(self, response: ModelResponse) -> ModelResponse:
        """The wrapped model's answer with the real values back."""
        vault = self.vault
        self.written = response.text
        return dataclasses.replace(
            response,
            text=vault.restore(response.text),
            tool_calls=tuple(vault.restore_tool_call(call) for call in response.tool_calls),
        )

    def generate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelResponse:
        shown, settings = self.redacted(messages, settings)
        return self.restored(self.model.generate(shown, tools=tools, settings=settings))

    async def agenerate(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelResponse:
        """`generate` awaited: on the loop when the wrapped model answers there, else in a
        worker thread."""
        model = self.model
        if isinstance(model, AsyncChatModel):
            shown, settings = self.redacted(messages, settings)
            return self.restored(await model.agenerate(shown, tools=tools, settings=settings))
        return await asyncio.to_thread(self.generate, messages, tools=tools, settings=settings)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelStream:
        shown, settings = self.redacted(messages, settings)
        inner = self.model.stream(shown, tools=tools, settings=settings)

        def deltas() -> Generator[str, None, ModelResponse]:
            try:
                yield from inner
            finally:
                inner.close()
            return self.restored(inner.response)

        return ModelStream(deltas())

    def _message(self, message: Message) -> Message:
        calls = message.tool_calls
        if calls:
            calls = tuple(
                dataclasses.replace(call, arguments=self.vault.redact_value(dict(call.arguments)))
                for call in calls
            )
        content = self.redact(message.content) if message.content else message.content
        if content is message.content and calls is message.tool_calls:
            return message
        return dataclasses.replace(message, content=content, tool_calls=calls)

    def _texts(self, texts: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if texts is None else tuple(self.redact(text) for text in texts)

    def __repr__(self) -> str:
        return f"RedactingModel({self.model!r}, {len(self.vault)} placeholder(s))"
