"""02: ask about an image. OCR reads the receipt; the answer is chosen from what was
read, or computed with the calculator from it. The bundled receipt is used unless you
give your own.

Run it (after `python3 tools/bootstrap.py demo`):

    .venv/bin/python examples/02_ask_about_an_image.py [IMAGE] ["question"]

It prints what OCR read (with its confidence) and the answer, e.g.

    read (ocr, confidence 0.97):
        ...
        Free range eggs 5.60
    question: What is the total on this receipt?
    answer: 25.45
"""

from __future__ import annotations

import sys
from pathlib import Path

from agentsdk import Agent, GenerationSettings, Image, Limits
from agentsdk.cli.demo import DEMO_INSTRUCTIONS, default_assets
from agentsdk.toolbox import calculator


def main(image: Path, question: str) -> None:
    agent = Agent(
        tools=[calculator],  # a total that is not printed is added up
        instructions=DEMO_INSTRUCTIONS,
        limits=Limits(max_steps=3),
        settings=GenerationSettings(max_tokens=96),
    )
    result = agent.run([question, Image(image)])
    for observation in result.observations:
        if observation.kind == "ocr":
            print(f"read ({observation.encoder}, confidence {observation.confidence:.2f}):")
            print("\n".join("    " + line for line in observation.text.splitlines()))
    print(f"question: {question}")
    print(f"answer: {result.text}")


if __name__ == "__main__":
    image = Path(sys.argv[1]) if len(sys.argv) > 1 else default_assets()[0]
    question = sys.argv[2] if len(sys.argv) > 2 else "What is the total on this receipt?"
    main(image, question)
