"""Model kits. `Kit.stock()` is the offline default: models that PyPI packages carry
(the table and the loading are `agentsdk.weights`'; a kit adds the encoders around them
and a device plan; `agentsdk.kit.health` is the check `agentsdk doctor` prints).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentsdk.encoders.base import Encoder
from agentsdk.encoders.cache import ObservationCache, cached, default_cache
from agentsdk.encoders.facts import ImageFactsEncoder
from agentsdk.encoders.ocr import OCREncoder
from agentsdk.encoders.speech import FasterWhisperBackend, SpeechEncoder
from agentsdk.encoders.video import VideoEncoder
from agentsdk.encoders.vision import VisionEncoder
from agentsdk.errors import ConfigurationError, ModelNotFoundError
from agentsdk.kit.health import ComponentCheck, check_component, check_voice
from agentsdk.models.adapters import ScopeMode, check_scope
from agentsdk.models.base import ChatModel
from agentsdk.voices import SpeechSynthesizer, stock_voice
from agentsdk.weights import (
    STOCK_COMPONENTS,
    ComponentSpec,
    WeightFile,
    is_shared,
    load_component,
    locate,
    model_key,
    shared_model,
)

if TYPE_CHECKING:
    from agentsdk.placement import Plan

__all__ = ["STOCK_COMPONENTS", "ComponentCheck", "ComponentSpec", "Kit", "WeightFile"]


class Kit:
    """A set of models an agent uses. Models load lazily, on first use.

    >>> kit = Kit.stock()
    >>> kit.llm.generate([Message.user("What is the capital of France?")]).text
    >>> kit.speech.encode(Audio("question.wav")).text
    >>> kit.voice.synthesize("Your total is 25.45.")  # an Audio part

    Encoders come wrapped in the observation cache (`agentsdk.encoders.cached`): an
    identical part is never encoded twice in the process.
    """

    def __init__(
        self,
        *,
        llm: ChatModel | None = None,
        speech: Encoder | None = None,
        ocr: Encoder | None = None,
        vision: Encoder | str | Path | None = None,
        components: dict[str, ComponentSpec] | None = None,
        name: str = "custom",
        check: bool = True,
        cache: ObservationCache | None = None,
        placement: Plan | None = None,
        voice: SpeechSynthesizer | None = None,
    ) -> None:
        if voice is not None and not isinstance(voice, SpeechSynthesizer):
            raise ConfigurationError(
                f"voice must be a SpeechSynthesizer (name, sample_rate, synthesize), not "
                f"{type(voice).__name__}"
            )
        self.name = name
        self.placement = placement
        """The device plan the kit's loaders follow (None: each loader's default, CPU)."""
        self._llm = llm
        self._cache = cache if cache is not None else default_cache()
        self._encoders: dict[str, Encoder] = {
            role: cached(encoder, self._cache)
            for role, encoder in (("speech", speech), ("ocr", ocr))
            if encoder is not None
        }
        if vision is not None and not isinstance(vision, str | Path):
            self._encoders["vision"] = cached(vision, self._cache)
        self._vision_path = vision if isinstance(vision, str | Path) else None
        self._components = dict(components or {})
        self._check = check
        self._voice = voice
        self._adapter: Path | None = None
        """The LoRA adapter merged into the LLM (`Kit.stock(adapter=...)`)."""
        self._adapter_scope: ScopeMode = "trained"
        self._lock = threading.Lock()

    @classmethod
    def stock(
        cls,
        *,
        vision: Encoder | str | Path | None = None,
        check: bool = True,
        placement: Plan | None = None,
        voice: SpeechSynthesizer | None = None,
        adapter: str | Path | None = None,
        adapter_scope: ScopeMode = "trained",
    ) -> Kit:
        """The offline default kit.

        No package carries CLIP weights, so vision is off unless you pass a CLIP/SigLIP
        folder (or an encoder) as `vision`. `check=False` skips the sha256 checks.
        `placement` (see `agentsdk.placement`) says which device and dtype each model
        loads with; without one everything runs on the CPU. `voice` replaces the stock
        voice (`Kit.voice`). `adapter`: a LoRA adapter folder trained on the stock LLM
        (`agentsdk learn train`), merged into its weights when it loads; the adapted LLM
        is shared apart from the plain one. `adapter_scope`: "trained" (the default: the
        adapter writes only replies for the tools it learned from) or "all" (every reply;
        see `agentsdk.models.adapters`).
        """
        kit = cls(
            components=STOCK_COMPONENTS,
            name="stock",
            check=check,
            vision=vision,
            placement=placement,
            voice=voice,
        )
        if adapter is not None:
            folder = Path(adapter).expanduser().resolve()
            if not folder.is_dir():
                raise ModelNotFoundError(
                    f"no adapter at {folder}: expected a folder made by `agentsdk learn train`"
                )
            kit._adapter = folder
            kit._adapter_scope = check_scope(adapter_scope)
        return kit

    @property
    def components(self) -> dict[str, ComponentSpec]:
        return dict(self._components)

    @property
    def cache(self) -> ObservationCache:
        """The observation cache the kit's encoders use."""
        return self._cache

    @property
    def llm(self) -> ChatModel:
        """The chat model, loaded on first access and shared in the process."""
        if self._llm is None:
            self._llm = self._load("llm")
        return self._llm

    @property
    def speech(self) -> Encoder:
        """Speech to text (stock: Whisper tiny.en through faster-whisper, int8)."""
        return self._encoder("speech", self._make_speech)

    @property
    def ocr(self) -> Encoder:
        """Text in images (stock: rapidocr PP-OCRv6)."""
        return self._encoder("ocr", lambda: OCREncoder(self._load("ocr")))

    @property
    def facts(self) -> Encoder:
        """Model-free image facts: size, colours, document/screenshot/photo."""
        return self._encoder("facts", ImageFactsEncoder)

    @property
    def vision(self) -> Encoder:
        """Zero-shot tags and embeddings (CLIP/SigLIP); only when the kit was given one."""
        return self._encoder("vision", self._make_vision)

    @property
    def video(self) -> Encoder:
        """A video as one timeline: its frames read by the image encoders (vision when
        the kit has one, OCR, facts), its sound track by speech."""
        return self._encoder("video", lambda: VideoEncoder(self._image_encoders(), self.speech))

    @property
    def voice(self) -> SpeechSynthesizer:
        """Text to speech: the kit's voice, else the stock one (hibari-tts "heart", 24 kHz,
        from the hibari-tts wheel; espeak-ng when hibari-tts is not installed). The model
        loads on the first `synthesize`, once per process."""
        with self._lock:
            if self._voice is None:
                self._voice = stock_voice()
            return self._voice

    def encoders(self) -> list[Encoder]:
        """The encoders a run's router uses, each reading its own modality: vision (when
        the kit has one), OCR and facts for images, speech for audio, the video
        timeline for videos."""
        return [*self._image_encoders(), self.speech, self.video]

    def _image_encoders(self) -> list[Encoder]:
        found: list[Encoder] = []
        with contextlib.suppress(ModelNotFoundError):  # no vision: OCR and facts still help
            found.append(self.vision)
        return [*found, self.ocr, self.facts]

    def unloaded(self) -> list[str]:
        """The roles of this kit whose models are not in memory yet, in the order a run
        loads them ("llm", then the encoders "speech", "ocr", "vision")."""
        missing = []
        if self._llm is None and not self._in_memory("llm"):
            missing.append("llm")
        for role in ("speech", "ocr"):
            if role not in self._encoders and not self._in_memory(role):
                missing.append(role)
        vision = self._vision_path is not None and "vision" not in self._encoders
        if vision and not is_shared(self._vision_key()):
            missing.append("vision")
        return missing

    def _in_memory(self, role: str) -> bool:
        """Whether this kit's component of `role` is loaded in the process (True when the
        kit has no such component: there is nothing to load)."""
        spec = self._components.get(role)
        if spec is None:
            return True
        try:
            key = (role, model_key(locate(spec), self._loader_options(role)))
        except ModelNotFoundError:
            return False  # loading will say what to install
        return is_shared(key)

    def load(self, role: str) -> None:
        """Load the model of `role` now (it would load on first use otherwise)."""
        if role not in ("llm", "speech", "ocr", "vision", "facts", "video"):
            raise ConfigurationError(f"unknown kit role {role!r}")
        getattr(self, role)

    def _encoder(self, role: str, make: Callable[[], Encoder]) -> Encoder:
        with self._lock:
            found = self._encoders.get(role)
        if found is None:
            found = cached(make(), self._cache)
            with self._lock:
                found = self._encoders.setdefault(role, found)
        return found

    def _make_speech(self) -> Encoder:
        backend = FasterWhisperBackend(
            self._load("speech"), model_name="faster-whisper:tiny.en-int8"
        )
        return SpeechEncoder(backend)

    def _make_vision(self) -> Encoder:
        if self._vision_path is None:
            raise ModelNotFoundError(
                f"kit {self.name!r} has no vision model: no PyPI package carries CLIP weights, "
                "so pass one, e.g. Kit.stock(vision='path/to/clip-or-siglip-folder')"
            )
        path = str(Path(self._vision_path).expanduser())
        options = self._loader_options("vision")
        encoder: Encoder = shared_model(
            self._vision_key(), lambda: VisionEncoder.from_pretrained(path, **options)
        )
        return encoder

    def _vision_key(self) -> tuple[str, str]:
        """The shared-model key of the kit's vision folder (with its placement options)."""
        path = str(Path(str(self._vision_path)).expanduser())
        return ("vision", model_key(path, self._loader_options("vision")))

    def _loader_options(self, role: str) -> dict[str, Any]:
        options = self.placement.loader_options(role) if self.placement is not None else {}
        if role == "llm" and self._adapter is not None:  # a str: part of the shared key
            options = {
                **options,
                "adapter": str(self._adapter),
                "adapter_scope": self._adapter_scope,
            }
        return options

    def _load(self, role: str) -> Any:
        spec = self._components.get(role)
        if spec is None:
            raise ModelNotFoundError(f"kit {self.name!r} has no {role} model")
        return load_component(spec, check=self._check, options=self._loader_options(role))

    def check(self, *, load: bool = True) -> list[ComponentCheck]:
        """Find, verify and (with `load`) load every component, and the kit's voice (with
        `load`, it says a short sentence); never raises for a model."""
        results = []
        for spec in self._components.values():
            results.append(check_component(spec, load=load, verify_files=self._check))
        if self._voice is not None or self.name == "stock":  # the kit's own voice
            results.append(check_voice(self.voice, load=load))
        return results

    def __repr__(self) -> str:
        return f"Kit({self.name!r}, roles={sorted(self._components)})"
