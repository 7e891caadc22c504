"""07: an agent whose model runs on a remote OpenAI-compatible server. The model is named
by URL (`openai:MODEL@URL`) and reached with `OpenAIModel`; the agent offers it the
calculator, runs any tool call it makes here, on this machine, and prints the model, each
tool call with its result, the answer and the tokens the server counted.

Any server that speaks `/v1/chat/completions` works: vLLM, llama.cpp's `llama-server`,
Ollama, `transformers serve` (README, "Remote models"). To serve the stock SmolLM2 with
`transformers serve` on this machine, offline (`transformers[serving]` comes with
`.[dev]`), find the checkpoint folder the stock kit converted its GGUF file into, then
serve it; the model's name is that folder's path:

    CKPT=$(HF_HUB_OFFLINE=1 .venv/bin/python -c \\
        "from agentsdk import Kit; print(Kit.stock().llm.load_info.checkpoint)")
    HF_HUB_OFFLINE=1 .venv/bin/transformers serve "$CKPT" --host 127.0.0.1 --port 8000 \\
        --device cpu

Run it (after `python3 tools/bootstrap.py demo`), with a server listening:

    .venv/bin/python examples/07_remote_openai_compatible_server.py [BASE_URL] [MODEL] ["question"]

BASE_URL defaults to `$OPENAI_BASE_URL`, else http://127.0.0.1:8000/v1; MODEL to
`$OPENAI_MODEL` (one of the two is needed); `$OPENAI_API_KEY` is sent when set. It
prints, e.g. against `transformers serve` above:

    model: /root/.cache/agentsdk/gguf/b179c9523d0e6a0f98a330c7562b6827 at http://127.0.0.1:8000/v1
    question: What is the capital of France?
    tool calls: none
    answer: The capital of France is Paris.
    usage: 54 tokens in, 8 out (counted by the server)

SmolLM2's chat template has no tool format, so through `transformers serve` it answers
in words and never calls the calculator (ask it "What is 12.5 times 4?" and it says 48).
A server whose model calls tools (vLLM with `--enable-auto-tool-choice`, llama.cpp with
`--jinja`, Ollama) prints each call instead, e.g.

    tool call: calculator({"expression": "12.5 * 4"}) -> 50
"""

from __future__ import annotations

import json
import os
import sys

from agentsdk import (
    Agent,
    GenerationSettings,
    Limits,
    ModelUnreachableError,
    OpenAIModel,
    resolve_model,
)
from agentsdk.toolbox import calculator

DEFAULT_URL = "http://127.0.0.1:8000/v1"


def main(base_url: str, model_name: str, question: str) -> None:
    model = resolve_model(f"openai:{model_name}@{base_url}")  # or Agent(model="openai:...")
    assert isinstance(model, OpenAIModel)  # what an "openai:" name resolves to
    agent = Agent(
        model=model,
        tools=[calculator],  # it runs here, wherever the model runs
        limits=Limits(max_steps=4),
        settings=GenerationSettings(max_tokens=96),
    )
    print(f"model: {model.name} at {model.base_url}")
    print(f"question: {question}")
    result = agent.run(question)
    results = {r.call_id: r for r in result.tool_results}
    if not result.tool_calls:
        print("tool calls: none")
    for call in result.tool_calls:
        ran = results.get(call.id)
        outcome = ran.content if ran is not None else "(not run)"
        print(f"tool call: {call.name}({json.dumps(dict(call.arguments))}) -> {outcome}")
    print(f"answer: {result.text}")
    usage = result.usage
    print(
        f"usage: {usage.input_tokens} tokens in, {usage.output_tokens} out (counted by the server)"
    )


if __name__ == "__main__":
    given = [*sys.argv[1:], "", "", ""]
    url = given[0] or os.environ.get("OPENAI_BASE_URL") or DEFAULT_URL
    name = given[1] or os.environ.get("OPENAI_MODEL", "")
    asked = given[2] or "What is the capital of France?"
    if not name:
        sys.exit("give the served model's name: as the second argument, or in $OPENAI_MODEL")
    try:
        main(url, name, asked)
    except ModelUnreachableError as error:
        sys.exit(f"{error}\nstart a server first (see the top of this file)")
