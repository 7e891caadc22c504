"""03: a spoken question, a spoken answer. Whisper hears the question, OCR reads the
receipt, the model answers (with the calculator when it adds prices), and the stock voice
speaks the answer into a WAV file.

Run it (after `python3 tools/bootstrap.py demo`):

    .venv/bin/python examples/03_voice_question_spoken_answer.py [OUT.wav]

It prints what was heard, the answer and where the spoken answer went, e.g.

    heard (confidence 0.83): What is the total of all four items?
    answer: 25.45
    spoken answer: answer.wav (1.9 s, 24000 Hz)
"""

from __future__ import annotations

import sys
from pathlib import Path

from agentsdk import Agent, Audio, GenerationSettings, Image, Limits
from agentsdk.cli.demo import DEMO_INSTRUCTIONS, default_assets
from agentsdk.toolbox import calculator


def main(out: Path) -> None:
    receipt, question = default_assets()
    agent = Agent(
        tools=[calculator],
        instructions=DEMO_INSTRUCTIONS,
        limits=Limits(max_steps=3),
        settings=GenerationSettings(max_tokens=96),
    )
    result = agent.run([Image(receipt), Audio(question)], speak=True)
    for observation in result.observations:
        if observation.kind == "speech":
            print(f"heard (confidence {observation.confidence:.2f}): {observation.text.strip()}")
    print(f"answer: {result.text}")
    if result.speech is None:
        print("nothing to speak (the run paused or gave no answer)")
        return
    out.write_bytes(result.speech.wav_bytes())
    speech = result.speech
    print(f"spoken answer: {out} ({speech.duration:.1f} s, {speech.sample_rate} Hz)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("answer.wav"))
