"""Voices turn text into speech: the way out, as encoders are the way in.

Each voice is a `SpeechSynthesizer`: `name`, `sample_rate` and `synthesize(text) ->
Audio`. The stock voice is hibari-tts's "heart", which its wheel carries (`HibariVoice`);
`EspeakVoice` runs Debian's `espeak-ng` program, the fallback when hibari-tts is not
installed. `Kit.voice` gives the kit's voice; `agent.run(..., speak=True)` puts the
spoken answer in `RunResult.speech`.
"""

from agentsdk.errors import MissingDependencyError
from agentsdk.voices.base import SpeechSynthesizer, speakable, split_text, synthesize_pieces
from agentsdk.voices.espeak import ESPEAK_INSTALL, EspeakVoice
from agentsdk.voices.hibari import HIBARI_INSTALL, STOCK_VOICE, HibariVoice, hibari_installed

__all__ = [
    "STOCK_VOICE",
    "EspeakVoice",
    "HibariVoice",
    "SpeechSynthesizer",
    "hibari_installed",
    "speakable",
    "split_text",
    "stock_voice",
    "synthesize_pieces",
]


def stock_voice() -> SpeechSynthesizer:
    """The stock voice: hibari "heart" when hibari-tts is installed, else espeak-ng. Nothing
    loads until its first `synthesize`."""
    if hibari_installed():
        return HibariVoice(STOCK_VOICE)
    try:
        return EspeakVoice()
    except MissingDependencyError:
        raise MissingDependencyError(
            f"no voice to speak with: the stock voice needs hibari-tts ({HIBARI_INSTALL}); "
            f"the fallback, espeak-ng, is not installed either ({ESPEAK_INSTALL})"
        ) from None
