"""Speech accuracy: the SDK's `SpeechEncoder` against bare faster-whisper, same run.

Both sides use the same model files (the stock kit's Whisper tiny.en, CTranslate2 int8)
and beam 5. The bare side is what a user of the library would write:
`WhisperModel.transcribe(path, beam_size=5)` on the WAV file, with every other setting
at the library's default (its own decoding and resampling, no VAD). The SDK side is
`SpeechEncoder(FasterWhisperBackend(model)).encode(Audio(path))`, as the stock kit
builds it.

The clips are made here with espeak-ng from original text (not the test or eval
sentences): short ones (one sentence, 2-6 s, varied voices and speeds) and long ones
(60-120 s: paragraphs with pauses between them, one voice each), because on long audio
VAD windowing and cutting are what differ from the library. Words are scored with jiwer
after Whisper's English normaliser (lower case, no punctuation, numbers as digits), the
same for both sides.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Clip:
    """A generated clip and what was said."""

    name: str
    path: Path
    text: str
    seconds: float


# (voice, words per minute, sentence): names, numbers, dates, places, ordinary prose.
SHORT = [
    ("en-us", 150, "Our flight to Denver boards at gate 14 at half past nine."),
    ("en-gb", 135, "Please water the tomato plants twice a week during July."),
    ("en+f3", 160, "Helen bought 6 bottles of olive oil for 38 dollars."),
    ("en-us+m3", 170, "The library closes early on the 23rd of December."),
    ("en-gb-x-rp", 145, "Could you move the green sofa closer to the window?"),
    ("en+f4", 140, "Thomas finished the marathon in three hours and ten minutes."),
    ("en-us", 185, "A cold wind blew across the harbour all night."),
    ("en-gb", 155, "The invoice lists 250 screws and 40 metal brackets."),
    ("en+f2", 150, "Remind me to call the dentist on Tuesday morning."),
    ("en-us+m2", 130, "Pablo has lived in Madrid since 2015."),
    ("en-gb-scotland", 150, "The soup needs more salt and a little pepper."),
    ("en+f3", 175, "Turn left after the bakery and park behind the school."),
]

PARAGRAPHS = [
    "Every spring the village holds a market in the old square. Farmers bring cheese, "
    "honey and fresh bread from the hills. Children run between the stalls while their "
    "parents argue about the price of apples. By noon the square is full and the church "
    "bell rings twelve times.",
    "Last winter the river froze for the first time in thirty years. People walked across "
    "the ice to visit friends on the other bank. The mayor warned everyone to stay close "
    "to the shore. Nobody listened, and a dog named Biscuit had to be rescued by two "
    "fishermen.",
    "The new train line will open on the 14th of September. It connects the airport with "
    "the city centre in eighteen minutes. Tickets will cost four pounds for adults and "
    "half that for children. The company expects ten thousand passengers a day.",
    "My grandmother kept a small notebook of recipes in her kitchen drawer. Each page had "
    "a date, a list of ingredients and a short story about the meal. Her lemon cake was "
    "famous in the whole street. I still bake it every year on her birthday.",
    "Oliver started his first job at a bicycle shop when he was sixteen. He learned to fix "
    "brakes, replace chains and true a wheel. The owner paid him nine dollars an hour and "
    "let him borrow a racing bike on weekends. Ten years later he bought the shop.",
    "The museum reopened after a long renovation. Visitors can now see a whale skeleton "
    "hanging from the ceiling of the main hall. A new wing shows paintings from the "
    "eighteenth century. Entry is free on the first Sunday of every month.",
    "Our team meets every Monday at ten to plan the week. Priya reviews the budget and "
    "Marcus reports on sales. Last quarter we sold more than three thousand units, which "
    "was a record. The next goal is to reach five thousand by the end of the year.",
    "The storm arrived late in the evening and knocked out the power for six hours. "
    "Neighbours lit candles and shared soup from a gas stove. In the morning the streets "
    "were covered with branches and leaves. The school stayed closed until Thursday.",
]

# (voice, words per minute, paragraph indices, seconds of pause between paragraphs)
LONG = [
    ("en-us", 165, (0, 1, 2, 3), 1.5),
    ("en-gb", 150, (4, 5, 6, 7), 1.0),
]


def speak(text: str, path: Path, *, voice: str, speed: int) -> Path:
    """Synthesise `text` to a WAV file with espeak-ng (Debian package espeak-ng)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("the speech benchmark needs espeak-ng: apt-get install espeak-ng")
    subprocess.run([espeak, "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
    return path


def short_clips(folder: Path, count: int | None = None) -> list[Clip]:
    """One sentence each, 2-6 s, at espeak-ng's own rate (22.05 kHz)."""
    clips = []
    for index, (voice, speed, text) in enumerate(SHORT[:count]):
        path = speak(text, folder / f"short{index}.wav", voice=voice, speed=speed)
        clips.append(Clip(f"short{index}", path, text, soundfile.info(str(path)).duration))
    return clips


def long_clip(folder: Path, index: int) -> Clip:
    """Paragraphs of `LONG[index]` joined with pauses: one 60-120 s WAV file."""
    voice, speed, paragraphs, pause = LONG[index]
    parts: list[np.ndarray] = []
    rate = SAMPLE_RATE
    for number in paragraphs:
        path = speak(
            PARAGRAPHS[number], folder / f"paragraph{number}.wav", voice=voice, speed=speed
        )
        samples, rate = soundfile.read(str(path), dtype="float32")
        parts += [samples, np.zeros(int(pause * rate), np.float32)]
    joined = np.concatenate(parts[:-1])
    path = folder / f"long{index}.wav"
    soundfile.write(str(path), joined, rate)
    text = " ".join(PARAGRAPHS[number] for number in paragraphs)
    return Clip(f"long{index}", path, text, len(joined) / rate)


def long_clips(folder: Path, count: int | None = None) -> list[Clip]:
    return [long_clip(folder, index) for index in range(len(LONG[:count]))]


def normaliser() -> Callable[[str], str]:
    """Whisper's English normaliser (the one the speech tests use): lower case, no
    punctuation, spelled-out numbers as digits, British spellings as American."""
    from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

    normalise: Callable[[str], str] = EnglishTextNormalizer({})  # type: ignore[no-untyped-call]
    return normalise


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER (errors over all reference words), both sides normalised alike."""
    import jiwer

    normalise = normaliser()
    return float(jiwer.wer([normalise(r) for r in references], [normalise(h) for h in hypotheses]))


def bare_transcriber(model: Any, beam_size: int = 5) -> Callable[[Clip], str]:
    """Bare faster-whisper on the file: the library's defaults except the beam."""

    def transcribe(clip: Clip) -> str:
        segments, _ = model.transcribe(str(clip.path), beam_size=beam_size)
        return " ".join(s.text.strip() for s in segments)

    return transcribe


def sdk_transcriber(model: Any, beam_size: int = 5) -> Callable[[Clip], str]:
    """The SDK's speech encoder on the same model, as the stock kit builds it."""
    from agentsdk import Audio
    from agentsdk.encoders import FasterWhisperBackend, SpeechEncoder

    encoder = SpeechEncoder(FasterWhisperBackend(model), beam_size=beam_size)
    return lambda clip: encoder.encode(Audio(clip.path)).text


@dataclass
class Score:
    """WER and time of one system on one set of clips."""

    wer: float
    seconds: float
    hypotheses: list[str]


def compare(systems: dict[str, Callable[[Clip], str]], clips: Sequence[Clip]) -> dict[str, Score]:
    """Every system on the same clips, one clip at a time, alternating so that load on the
    machine hits all alike. The random seed of CTranslate2 is reset before each clip:
    Whisper's temperature fallback samples, and both sides should draw alike."""
    import ctranslate2  # type: ignore[import-untyped]

    runs: dict[str, list[tuple[str, float]]] = {name: [] for name in systems}
    for clip in clips:
        for name, transcribe in systems.items():
            ctranslate2.set_random_seed(0)
            started = time.perf_counter()
            text = transcribe(clip)
            runs[name].append((text, time.perf_counter() - started))
    references = [c.text for c in clips]
    return {
        name: Score(
            word_error_rate(references, [text for text, _ in done]),
            sum(seconds for _, seconds in done),
            [text for text, _ in done],
        )
        for name, done in runs.items()
    }


def sdk_vs_bare(model: Any, clips: Sequence[Clip], *, beam_size: int = 5) -> dict[str, Score]:
    """The SDK encoder and bare faster-whisper, same model and beam, same clips."""
    systems = {
        "bare": bare_transcriber(model, beam_size),
        "sdk": sdk_transcriber(model, beam_size),
    }
    return compare(systems, clips)


def bench_speech(folder: Path | None = None, *, beam_size: int = 5) -> dict[str, Any]:
    """WER and seconds per clip for the SDK and bare faster-whisper, short and long."""
    import tempfile

    from agentsdk.kit import STOCK_COMPONENTS, load_component

    model = load_component(STOCK_COMPONENTS["speech"])
    with tempfile.TemporaryDirectory() as temporary:
        where = folder or Path(temporary)
        where.mkdir(parents=True, exist_ok=True)
        sets = {"short": short_clips(where), "long": long_clips(where)}
        warm = sets["short"][0]
        bare_transcriber(model, beam_size)(warm), sdk_transcriber(model, beam_size)(warm)
        result: dict[str, Any] = {"beam_size": beam_size}
        for label, clips in sets.items():
            scores = sdk_vs_bare(model, clips, beam_size=beam_size)
            bare, sdk = scores["bare"], scores["sdk"]
            result[label] = {
                "clips": len(clips),
                "audio_s": round(sum(c.seconds for c in clips), 1),
                "bare_wer": round(bare.wer, 4),
                "sdk_wer": round(sdk.wer, 4),
                "wer_ratio_sdk_vs_bare": round(sdk.wer / bare.wer, 3) if bare.wer else None,
                "bare_s_per_clip": round(bare.seconds / len(clips), 3),
                "sdk_s_per_clip": round(sdk.seconds / len(clips), 3),
                "time_ratio_sdk_vs_bare": round(sdk.seconds / bare.seconds, 3),
            }
    return result


def print_speech(result: dict[str, Any]) -> None:
    """A Markdown table, ready for BENCHMARKS.md."""
    print(f"\nspeech (beam {result['beam_size']})")
    print(
        "| clips | audio | bare WER | SDK WER | WER ratio | bare s/clip | SDK s/clip | time ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label in ("short", "long"):
        row = result[label]
        print(
            f"| {row['clips']} {label} | {row['audio_s']} s | {row['bare_wer']} | "
            f"{row['sdk_wer']} | {row['wer_ratio_sdk_vs_bare']} | {row['bare_s_per_clip']} | "
            f"{row['sdk_s_per_clip']} | {row['time_ratio_sdk_vs_bare']} |"
        )
