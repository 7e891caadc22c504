"""Vision: CLIP / SigLIP zero-shot tags and embeddings, through transformers.

`VisionEncoder.from_pretrained(path)` loads a `CLIPModel` or `SiglipModel` with its image
processor (the PIL/numpy one: no torchvision needed) and tokenizer, from a local folder or
the Hugging Face cache; it never downloads unless `allow_download=True`. Tags are scored
against a label vocabulary (a default of everyday objects, scenes and document types ships
in `data/labels.txt`; pass `labels=` to override) with the prompt template `prompt`.

CLIP turns similarities into probabilities with a softmax over the labels; SigLIP scores
each label independently with a sigmoid. Label text embeddings are cached per label set.
`OpenCLIPVisionEncoder` is the same encoder on open_clip models (extra `openclip`).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from agentsdk.encoders.base import Observation
from agentsdk.errors import (
    ConfigurationError,
    MissingDependencyError,
    ModelLoadError,
    ModelNotFoundError,
)
from agentsdk.media import Image, Media

__all__ = ["VisionEncoder", "default_labels", "open_clip_encoder"]

DEFAULT_PROMPT = "a photo of a {}"


def default_labels() -> tuple[str, ...]:
    """The shipped vocabulary: everyday objects, scenes and document types."""
    text = importlib.resources.files("agentsdk.encoders").joinpath("data/labels.txt").read_text()
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _features(output: Any) -> Any:
    """transformers 5 returns a model output whose pooler_output is the projection."""
    return output if hasattr(output, "norm") else output.pooler_output


class VisionEncoder:
    """Image part -> zero-shot tags and an embedding (kind "vision")."""

    name = "vision"
    modality: Literal["image"] = "image"

    def __init__(
        self,
        model: Any,
        image_processor: Any,
        tokenizer: Any,
        *,
        model_name: str,
        labels: Sequence[str] | None = None,
        prompt: str = DEFAULT_PROMPT,
        top_k: int = 5,
        batch_size: int = 16,
    ) -> None:
        if "{}" not in prompt:
            raise ConfigurationError("prompt must contain '{}' where the label goes")
        if top_k < 1 or batch_size < 1:
            raise ConfigurationError("top_k and batch_size must be at least 1")
        self.model = model
        self.image_processor = image_processor
        self.tokenizer = tokenizer
        self.model_name = model_name
        self.labels = tuple(labels) if labels is not None else default_labels()
        self.prompt = prompt
        self.top_k = top_k
        self.batch_size = batch_size
        self.sigmoid = hasattr(model, "logit_bias")  # SigLIP scores labels independently
        self._label_cache: dict[tuple[str, tuple[str, ...]], npt.NDArray[np.float32]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        allow_download: bool = False,
        device: str = "cpu",
        dtype: Any = None,
        **options: Any,
    ) -> VisionEncoder:
        """Load a CLIP or SigLIP checkpoint from a folder or the Hugging Face cache."""
        import torch
        from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

        local = Path(path).expanduser()
        if local.exists() and not (local / "config.json").is_file():
            raise ModelNotFoundError(f"no vision model at {local}: config.json is missing")
        source = str(local) if local.exists() else str(path)
        only_local = not allow_download
        if dtype is None:
            dtype = torch.float16 if device.startswith("cuda") else torch.float32
        try:
            model = AutoModel.from_pretrained(source, dtype=dtype, local_files_only=only_local)
            processor = AutoImageProcessor.from_pretrained(  # type: ignore[no-untyped-call]
                source, use_fast=False, local_files_only=only_local
            )
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=only_local)
        except OSError as exc:
            hint = "" if allow_download else " (downloads are off: pass allow_download=True)"
            raise ModelNotFoundError(f"could not find vision model {path!r}{hint}: {exc}") from exc
        except ValueError as exc:
            raise ModelLoadError(f"could not load vision model {path!r}: {exc}") from exc
        if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
            raise ModelLoadError(f"{path!r} is a {type(model).__name__}, not a CLIP/SigLIP model")
        model.to(device).eval()
        name = local.name if local.exists() else str(path)
        return cls(model, processor, tokenizer, model_name=f"transformers:{name}", **options)

    @property
    def cache_key(self) -> str:
        digest = hashlib.sha256("\n".join(self.labels).encode()).hexdigest()[:16]
        return f"{self.model_name}|prompt={self.prompt}|k={self.top_k}|labels={digest}"

    # -- embeddings ------------------------------------------------------------------

    def embed_images(self, images: Sequence[Image]) -> npt.NDArray[np.float32]:
        """L2-normalised image embeddings, (n, d), computed in batches."""
        import torch

        chunks = []
        for start in range(0, len(images), self.batch_size):
            batch = [image.to_pil() for image in images[start : start + self.batch_size]]
            pixels = self.image_processor(images=batch, return_tensors="pt")["pixel_values"]
            with torch.inference_mode():
                output = self.model.get_image_features(
                    pixel_values=pixels.to(self.model.device, self.model.dtype)
                )
            chunks.append(_normalise(_features(output)))
        if not chunks:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(chunks)

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised text embeddings, (n, d)."""
        import torch

        chunks = []
        for start in range(0, len(texts), 256):
            batch = list(texts[start : start + 256])
            padding = "max_length" if self.sigmoid else True  # SigLIP was trained padded
            tokens = self.tokenizer(batch, padding=padding, truncation=True, return_tensors="pt")
            tokens = {k: v.to(self.model.device) for k, v in tokens.items()}
            with torch.inference_mode():
                output = self.model.get_text_features(**tokens)
            chunks.append(_normalise(_features(output)))
        return np.concatenate(chunks)

    def _label_embeddings(self, labels: tuple[str, ...]) -> npt.NDArray[np.float32]:
        key = (self.prompt, labels)
        with self._lock:
            found = self._label_cache.get(key)
        if found is None:
            found = self.embed_texts([self.prompt.format(label) for label in labels])
            with self._lock:
                self._label_cache[key] = found
        return found

    # -- zero-shot -------------------------------------------------------------------

    def scores(
        self, image_embeddings: npt.NDArray[np.float32], labels: Sequence[str]
    ) -> npt.NDArray[np.float32]:
        """Per-label probabilities (softmax for CLIP, sigmoid for SigLIP), (n, labels)."""
        if not labels:
            raise ConfigurationError("zero-shot tagging needs at least one label")
        text = self._label_embeddings(tuple(labels))
        scale = float(self.model.logit_scale.detach().float().exp().cpu())
        logits = scale * (image_embeddings @ text.T)
        if self.sigmoid:
            logits = logits + float(self.model.logit_bias.detach().float().cpu())
            sigmoid: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
            return sigmoid
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        softmax: npt.NDArray[np.float32] = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return softmax

    def classify(
        self, images: Sequence[Image], labels: Sequence[str] | None = None, top_k: int | None = None
    ) -> list[list[tuple[str, float]]]:
        """The top-k (label, probability) pairs for each image, best first."""
        labels = tuple(labels) if labels is not None else self.labels
        probabilities = self.scores(self.embed_images(images), labels)
        k = min(top_k or self.top_k, len(labels))
        best = np.argsort(-probabilities, axis=1)[:, :k]
        return [
            [(labels[j], round(float(row[j]), 4)) for j in order]
            for row, order in zip(probabilities, best, strict=True)
        ]

    def encode(self, part: Media, labels: Sequence[str] | None = None) -> Observation:
        if not isinstance(part, Image):
            raise ConfigurationError(f"the vision encoder takes Image, not {type(part).__name__}")
        started = time.perf_counter()
        labels = tuple(labels) if labels is not None else self.labels
        embedding = self.embed_images([part])
        probabilities = self.scores(embedding, labels)[0]
        order = np.argsort(-probabilities)[: min(self.top_k, len(labels))]
        tags = [(labels[j], round(float(probabilities[j]), 4)) for j in order]
        text = "Image shows: " + ", ".join(f"{label} ({p:.0%})" for label, p in tags)
        return Observation(
            kind="vision",
            text=text,
            confidence=float(min(1.0, max(0.0, tags[0][1]))),
            encoder=self.name,
            model=self.model_name,
            part_id=part.sha256,
            part_name=part.name,
            details={"tags": tags, "scoring": "sigmoid" if self.sigmoid else "softmax"},
            embedding=embedding[0],
            seconds=time.perf_counter() - started,
        )


def _normalise(features: Any) -> npt.NDArray[np.float32]:
    array = features.detach().float().cpu().numpy()
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    normalised: npt.NDArray[np.float32] = (array / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised


def open_clip_encoder(model_name: str, pretrained: str, **options: Any) -> VisionEncoder:
    """A `VisionEncoder` on an open_clip model (extra `openclip`, needs torchvision)."""
    try:
        import open_clip  # type: ignore[import-not-found]
    except Exception as exc:  # a broken torchvision fails with OSError/RuntimeError too
        raise MissingDependencyError(
            "open_clip models need the 'openclip' extra and a torchvision that works with "
            f"your torch: pip install 'agentsdk[openclip]' ({exc})"
        ) from exc
    model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=pretrained)
    tokenizer = open_clip.get_tokenizer(model_name)
    return VisionEncoder(
        _OpenCLIPModel(model),
        _OpenCLIPImageProcessor(preprocess),
        _OpenCLIPTokenizer(tokenizer),
        model_name=f"open_clip:{model_name}:{pretrained}",
        **options,
    )


class _OpenCLIPModel:
    """open_clip's model behind the two methods and attributes VisionEncoder uses."""

    def __init__(self, model: Any) -> None:
        self._model = model.eval()
        self.logit_scale = model.logit_scale
        if getattr(model, "logit_bias", None) is not None:
            self.logit_bias = model.logit_bias

    @property
    def device(self) -> Any:
        return next(self._model.parameters()).device

    @property
    def dtype(self) -> Any:
        return next(self._model.parameters()).dtype

    def get_image_features(self, pixel_values: Any) -> Any:
        return self._model.encode_image(pixel_values)

    def get_text_features(self, input_ids: Any, **_: Any) -> Any:
        return self._model.encode_text(input_ids)


class _OpenCLIPImageProcessor:
    def __init__(self, preprocess: Any) -> None:
        self._preprocess = preprocess

    def __call__(self, images: Sequence[Any], return_tensors: str = "pt") -> dict[str, Any]:
        import torch

        return {"pixel_values": torch.stack([self._preprocess(image) for image in images])}


class _OpenCLIPTokenizer:
    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def __call__(self, texts: Sequence[str], **_: Any) -> dict[str, Any]:
        return {"input_ids": self._tokenizer(list(texts))}
