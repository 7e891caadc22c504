"""Grammar-constrained tool calls for local models, with xgrammar.

Small local models rarely write a well-formed tool call on their own, so `LocalModel`
constrains what they may write when a request comes with tools. Four modules, each
importing only those above it:

- `schema`: the JSON schema of a reply (an answer, or a call to one tool with that
  tool's parameters), with bounded strings and arrays so a reply can end;
- `prompt`: the system section that lists the tools, the conversation in the reply
  format, and reading a reply (or an answer being streamed) back;
- `grammar`: the schemas compiled with xgrammar (cached per tokenizer) and the logits
  processor that masks what the grammar forbids and closes the JSON within budget;
- `ranker`: choosing the tool (or a plain answer) before the arguments are written,
  by sentence embeddings of the request and of each tool.
"""

from agentsdk.models.toolcalls.grammar import (
    CLOSING_MARGIN,
    GRAMMAR_CACHE_SIZE,
    REPETITION_PENALTY,
    GrammarLogitsProcessor,
    ToolGrammars,
    answer_opening,
    call_opening,
)
from agentsdk.models.toolcalls.prompt import (
    ParsedReply,
    parse_reply,
    partial_answer,
    prepare_conversation,
    render_call,
    tool_prompt,
)
from agentsdk.models.toolcalls.ranker import (
    STOCK_RANKER_THRESHOLD,
    EmbeddingToolRanker,
    ToolRanker,
    request_paragraphs,
    select_tools,
    tool_text,
)
from agentsdk.models.toolcalls.schema import (
    ANSWER_MAX_LENGTH,
    ARGUMENT_MAX_LENGTH,
    MAX_ITEMS,
    ToolSpec,
    answer_schema,
    bound_schema,
    call_schema,
    canonical_json,
    reply_schema,
    tool_specs,
)

__all__ = [
    "ANSWER_MAX_LENGTH",
    "ARGUMENT_MAX_LENGTH",
    "CLOSING_MARGIN",
    "GRAMMAR_CACHE_SIZE",
    "MAX_ITEMS",
    "REPETITION_PENALTY",
    "STOCK_RANKER_THRESHOLD",
    "EmbeddingToolRanker",
    "GrammarLogitsProcessor",
    "ParsedReply",
    "ToolGrammars",
    "ToolRanker",
    "ToolSpec",
    "answer_opening",
    "answer_schema",
    "bound_schema",
    "call_opening",
    "call_schema",
    "canonical_json",
    "parse_reply",
    "partial_answer",
    "prepare_conversation",
    "render_call",
    "reply_schema",
    "request_paragraphs",
    "select_tools",
    "tool_prompt",
    "tool_specs",
    "tool_text",
]
