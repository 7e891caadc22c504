"""A fallback voice: the `espeak-ng` command (Debian's espeak-ng package; GPL-3.0, run as
a separate program). Robotic but intelligible, in about a hundred languages, and with
nothing to download.

The text goes to `espeak-ng` as one argument after `--` (never through a shell, never
read as an option), with a timeout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile
import soxr

from agentsdk.errors import ConfigurationError, GenerationError, MissingDependencyError
from agentsdk.media import Audio
from agentsdk.voices.base import synthesize_pieces

__all__ = ["ESPEAK_INSTALL", "EspeakVoice"]

ESPEAK_INSTALL = "install it: apt-get install espeak-ng (brew install espeak-ng on macOS)"
SAMPLE_RATE = 22_050
"""The rate of espeak-ng's own voices (others are resampled to it)."""
MAX_CHARS = 2_000
"""Characters said by one espeak-ng process."""
_VOICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+\-/]*")


class EspeakVoice:
    """The `espeak-ng` program as a `SpeechSynthesizer`, 22.05 kHz mono.

    `voice` is an espeak-ng voice ("en-us", "en-gb", "fr", "en-us+f3"...; see
    `espeak-ng --voices`), `speed` in words per minute (80-450), `timeout` the seconds
    one espeak-ng process may run. A missing program is a `MissingDependencyError` when
    the voice is made; an unknown voice or a failed run a `GenerationError`.
    """

    sample_rate: int = SAMPLE_RATE

    def __init__(
        self,
        voice: str = "en-us",
        *,
        speed: int = 165,
        timeout: float = 60.0,
        program: str = "espeak-ng",
    ) -> None:
        if not _VOICE.fullmatch(voice):
            raise ConfigurationError(
                f"{voice!r} is not an espeak-ng voice name (e.g. 'en-us', 'en-gb', 'en-us+f3')"
            )
        if isinstance(speed, bool) or not isinstance(speed, int) or not 80 <= speed <= 450:
            raise ConfigurationError(f"speed is in words per minute, 80 to 450; got {speed!r}")
        if not timeout > 0:
            raise ConfigurationError("timeout must be positive")
        found = shutil.which(program)
        if found is None:
            raise MissingDependencyError(
                f"the espeak-ng voice needs the {program!r} program; {ESPEAK_INSTALL}"
            )
        self.voice = voice
        self.speed = speed
        self.timeout = float(timeout)
        self.program = found

    @property
    def name(self) -> str:
        return f"espeak-ng:{self.voice}"

    def synthesize(self, text: str) -> Audio:
        """`text` spoken (see `SpeechSynthesizer`): 22.05 kHz mono."""
        return synthesize_pieces(text, self._say, sample_rate=SAMPLE_RATE, max_chars=MAX_CHARS)

    def _say(self, text: str) -> npt.NDArray[np.float32]:
        with tempfile.TemporaryDirectory(prefix="agentsdk-espeak-") as folder:
            out = Path(folder) / "speech.wav"
            command = [self.program, "-v", self.voice, "-s", str(self.speed), "-w", str(out)]
            try:
                done = subprocess.run(
                    [*command, "--", text],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=self.timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise GenerationError(
                    f"espeak-ng did not finish within {self.timeout:g} s on {len(text)} characters"
                ) from None
            except OSError as exc:
                raise MissingDependencyError(
                    f"espeak-ng could not be started ({exc}); {ESPEAK_INSTALL}"
                ) from exc
            said = done.stderr or done.stdout  # espeak-ng writes some errors to stdout
            error = said.decode("utf-8", "replace").strip()
            if done.returncode != 0 or not out.is_file():
                raise GenerationError(
                    f"espeak-ng (voice {self.voice!r}) failed with status {done.returncode}: "
                    f"{error or 'no message'}"
                )
            samples, rate = soundfile.read(out, dtype="float32", always_2d=True)
        mono: npt.NDArray[np.float32] = np.asarray(samples.mean(axis=1), dtype=np.float32)
        if rate != SAMPLE_RATE and mono.size:
            mono = np.asarray(soxr.resample(mono, rate, SAMPLE_RATE), dtype=np.float32)
        return mono

    def __repr__(self) -> str:
        return f"EspeakVoice({self.voice!r}, speed={self.speed})"
