"""Chat models: the `ChatModel` protocol, `LocalModel` (transformers), `OpenAIModel`
(servers), test fakes, names.

`LocalModel` imports torch and transformers only when used; `OpenAIModel` (any
OpenAI-compatible server) imports the openai client only when used.
"""

from agentsdk.models.base import (
    ChatModel,
    FinishReason,
    GenerationSettings,
    ModelResponse,
    ModelStream,
    ToolSchema,
    Usage,
)
from agentsdk.models.local import LoadInfo, LocalModel
from agentsdk.models.openai import OpenAIModel
from agentsdk.models.resolve import resolve_model
from agentsdk.models.testing import FunctionModel, ModelCall, ScriptedModel
from agentsdk.models.toolcalls import EmbeddingToolRanker, ToolRanker

__all__ = [
    "ChatModel",
    "EmbeddingToolRanker",
    "FinishReason",
    "FunctionModel",
    "GenerationSettings",
    "LoadInfo",
    "LocalModel",
    "ModelCall",
    "ModelResponse",
    "ModelStream",
    "OpenAIModel",
    "ScriptedModel",
    "ToolRanker",
    "ToolSchema",
    "Usage",
    "resolve_model",
]
