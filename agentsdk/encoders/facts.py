"""Image facts with no model: size, format, orientation, dominant colours, and whether the
image looks like a document, a screenshot or a photo.

These cost milliseconds and work on any image, so even a kit without a vision model can
say something true about a picture. The document/screenshot/photo call is a heuristic on
pixel statistics and says so: its confidence is the margin of its score, not a promise.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
import numpy.typing as npt
import PIL.Image

from agentsdk.encoders.base import Observation
from agentsdk.errors import ConfigurationError
from agentsdk.media import Image, Media

__all__ = ["ImageFactsEncoder", "colour_name"]

# A small named palette (sRGB) to name dominant colours.
_NAMED: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "dark grey": (64, 64, 64),
    "grey": (128, 128, 128),
    "light grey": (200, 200, 200),
    "white": (255, 255, 255),
    "red": (220, 30, 30),
    "dark red": (128, 0, 0),
    "orange": (255, 140, 0),
    "yellow": (250, 220, 30),
    "brown": (140, 85, 40),
    "beige": (225, 205, 165),
    "green": (40, 170, 50),
    "dark green": (0, 90, 30),
    "cyan": (0, 200, 220),
    "blue": (30, 80, 220),
    "navy": (0, 0, 110),
    "purple": (130, 50, 170),
    "pink": (240, 120, 180),
}
_NAMES = list(_NAMED)
_PALETTE = np.array(list(_NAMED.values()), dtype=np.float64)


def colour_name(rgb: tuple[int, int, int] | npt.NDArray[np.float64]) -> str:
    """The nearest named colour."""
    distances = ((_PALETTE - np.asarray(rgb, dtype=np.float64)) ** 2).sum(axis=1)
    return _NAMES[int(distances.argmin())]


def _dominant_colours(small: PIL.Image.Image, count: int) -> list[tuple[str, float]]:
    """Named colours covering the image, largest share first (names merged)."""
    quantised = small.quantize(colors=8, method=PIL.Image.Quantize.MEDIANCUT)
    palette = np.array((quantised.getpalette() or [])[: 8 * 3], dtype=np.float64).reshape(-1, 3)
    counts = np.bincount(np.asarray(quantised).ravel(), minlength=len(palette))
    shares: dict[str, float] = {}
    for index in np.flatnonzero(counts):
        name = colour_name(palette[index])
        shares[name] = shares.get(name, 0.0) + counts[index] / counts.sum()
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    return [(name, round(share, 3)) for name, share in ranked[:count] if share >= 0.02]


def _kind_scores(pixels: npt.NDArray[np.uint8]) -> dict[str, float]:
    """Heuristic scores in [0, 1] for document, screenshot and photo."""
    grey = pixels.astype(np.float64).mean(axis=2)
    bright = float((grey > 200).mean())
    dark = float((grey < 90).mean())
    saturation = float((pixels.max(axis=2).astype(np.int16) - pixels.min(axis=2)).mean() / 255)
    horizontal = np.abs(np.diff(grey, axis=1))
    sharp = float((horizontal > 60).mean())  # hard edges: text strokes, UI borders
    smooth = float(((horizontal > 2) & (horizontal < 20)).mean())  # gradients: photos
    exact = float((horizontal == 0).mean())  # flat regions, typical of rendered UI
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0)) / grey.size
    document = min(bright / 0.6, 1.0) * min(dark / 0.02, 1.0) * (1.0 - min(saturation / 0.25, 1.0))
    document *= min(sharp / 0.01, 1.0)
    screenshot = min(exact / 0.7, 1.0) * min(sharp / 0.005, 1.0) * (1.0 - min(colours / 0.3, 1.0))
    screenshot *= 0.5 + 0.5 * min(saturation / 0.05, 1.0)  # UIs have some colour, pages rarely
    photo = min(smooth / 0.3, 1.0) * (1.0 - exact) + min(colours / 0.3, 1.0) * 0.5
    return {
        "document": round(min(document, 1.0), 3),
        "screenshot": round(min(screenshot, 1.0), 3),
        "photo": round(min(photo, 1.0), 3),
    }


class ImageFactsEncoder:
    """Image part -> model-free facts (kind "facts")."""

    name = "facts"
    modality: Literal["image"] = "image"
    cache_key = "facts-v1"

    def encode(self, part: Media) -> Observation:
        if not isinstance(part, Image):
            raise ConfigurationError(f"image facts need an Image, not {type(part).__name__}")
        started = time.perf_counter()
        width, height = part.size
        small = part.to_pil()
        small.thumbnail((256, 256))
        pixels = np.asarray(small, dtype=np.uint8)
        colours = _dominant_colours(small, 3)
        scores = _kind_scores(pixels)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        (kind, best), (_, second) = ranked[0], ranked[1]
        if best < 0.2:  # none fits: flat artwork, a logo, a diagram
            kind, second = "simple graphic", best
        ratio = width / height
        orientation = (
            "square" if 0.9 <= ratio <= 1.1 else ("landscape" if ratio > 1 else "portrait")
        )
        colour_text = ", ".join(f"{name} {share:.0%}" for name, share in colours)
        fmt = part.format or "in-memory"
        text = (
            f"{width}x{height} {fmt} image, {orientation}; mostly {colour_text}; "
            f"looks like a {kind}"
        )
        return Observation(
            kind="facts",
            text=text,
            confidence=round(min(1.0, max(0.0, 0.5 + (best - second) / 2)), 3),
            encoder=self.name,
            model="",
            part_id=part.sha256,
            part_name=part.name,
            details={
                "width": width,
                "height": height,
                "format": part.format,
                "mode": part.original_mode,
                "exif_orientation": part.exif_orientation,
                "orientation": orientation,
                "colours": colours,
                "looks_like": kind,
                "scores": scores,
            },
            seconds=time.perf_counter() - started,
        )
