"""Deterministic synthetic images: one coloured shape on a plain light background.

Used to train and test the tiny CLIP fixture (`tests/fixtures/tiny-clip`, built by
`tools/train_tiny_clip.py`). Every image is a pure function of its colour, its shape
and the state of the `random.Random` it is drawn with, so tests can regenerate the exact
held-out images without storing any.

Classes are COLOURS x SHAPES (24 of them), captioned "a red circle", "a blue star", ...

Seeds: training draws only from seeds in `range(TRAIN_SEED_LIMIT)` (0..999); the held-out
test set is `dataset(TEST_SEED, per_class)` with `TEST_SEED = 424242`, which training
never uses.

    from tools.synthetic_shapes import CLASSES, TEST_SEED, caption, dataset
    for image, colour, shape in dataset(TEST_SEED, per_class=10):
        prompt = caption(colour, shape)       # "a red circle"
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw

#: RGB centre of each class colour; every image jitters it a little.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 170, 40),
    "blue": (30, 70, 220),
    "yellow": (240, 215, 30),
    "purple": (140, 40, 180),
    "orange": (250, 140, 20),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star")

#: Every (colour, shape) class, in a fixed order (colour-major).
CLASSES: list[tuple[str, str]] = [(colour, shape) for colour in COLOURS for shape in SHAPES]

#: Training uses only seeds below this; the held-out test seed is far above it.
TRAIN_SEED_LIMIT = 1000
#: Seed of the held-out test set; never used for training.
TEST_SEED = 424242

DEFAULT_SIZE = 96
_SUPERSAMPLE = 2  # shapes are drawn at 2x and downsized, for anti-aliased edges
_COLOUR_JITTER = 18
_MAX_ROTATION_DEG = 15.0
_RADIUS_RANGE = (0.18, 0.35)  # circumradius as a fraction of the image side
# Backgrounds are near-neutral greys, from mid-light grey to white. Dark backgrounds were
# tried and dropped: they flip the polarity of every edge, and with one image in five dark
# the tiny ViT could not learn shape on them within the ten-minute CPU budget (74-83%
# held-out accuracy on dark images vs 98% on light ones).
_BACKGROUND_LEVELS = (165, 255)


def caption(colour: str, shape: str) -> str:
    """The caption of a class, e.g. `caption("red", "circle") == "a red circle"`."""
    return f"a {colour} {shape}"


def _jitter(rgb: tuple[int, int, int], rng: random.Random, amount: int) -> tuple[int, int, int]:
    """`rgb` with each channel moved by up to `amount`, clipped to 0..255."""
    r, g, b = (min(255, max(0, c + rng.randint(-amount, amount))) for c in rgb)
    return r, g, b


def _background(rng: random.Random) -> tuple[int, int, int]:
    """A near-neutral light grey or white: never saturated, so never a class colour."""
    level = rng.randint(*_BACKGROUND_LEVELS)
    return _jitter((level, level, level), rng, 6)


def _polygon(
    shape: str, cx: float, cy: float, radius: float, angle: float
) -> list[tuple[float, float]]:
    """Vertices of a square, triangle or five-pointed star of circumradius `radius`, rotated by `angle` radians."""
    if shape == "square":
        radii, start = [radius] * 4, math.pi / 4
    elif shape == "triangle":
        radii, start = [radius] * 3, -math.pi / 2
    elif shape == "star":
        radii, start = [radius, radius * 0.45] * 5, -math.pi / 2
    else:
        raise ValueError(f"not a polygon shape: {shape!r}")
    step = 2 * math.pi / len(radii)
    return [
        (cx + r * math.cos(start + angle + i * step), cy + r * math.sin(start + angle + i * step))
        for i, r in enumerate(radii)
    ]


def _add_noise(image: Image.Image, rng: random.Random) -> Image.Image:
    """Mild Gaussian pixel noise (sigma 2-7), seeded from `rng` so it is reproducible."""
    noise_rng = np.random.default_rng(rng.getrandbits(32))
    pixels = np.asarray(image, dtype=np.float32)
    pixels += noise_rng.normal(0.0, rng.uniform(2.0, 7.0), size=pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).round().astype(np.uint8), mode="RGB")


def draw(colour: str, shape: str, rng: random.Random, size: int = DEFAULT_SIZE) -> Image.Image:
    """Draw one `colour` `shape` on a random neutral background as a `size` x `size` RGB image.

    Varies with `rng`: position, size (shape spans roughly 35-70% of the image), rotation
    (up to +-15 degrees; circles are unaffected), colour (slight jitter), background and noise.
    """
    if colour not in COLOURS:
        raise ValueError(f"unknown colour {colour!r}; expected one of {list(COLOURS)}")
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; expected one of {list(SHAPES)}")
    canvas = size * _SUPERSAMPLE
    image = Image.new("RGB", (canvas, canvas), _background(rng))
    fill = _jitter(COLOURS[colour], rng, _COLOUR_JITTER)
    radius = canvas * rng.uniform(*_RADIUS_RANGE)
    margin = radius + canvas * 0.03
    cx, cy = rng.uniform(margin, canvas - margin), rng.uniform(margin, canvas - margin)
    angle = math.radians(rng.uniform(-_MAX_ROTATION_DEG, _MAX_ROTATION_DEG))
    pen = ImageDraw.Draw(image)
    if shape == "circle":
        r = radius * 0.85  # a circle of full circumradius looks much bigger than the polygons
        pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    else:
        pen.polygon(_polygon(shape, cx, cy, radius, angle), fill=fill)
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    return _add_noise(image, rng)


def dataset(
    seed: int, per_class: int, size: int = DEFAULT_SIZE
) -> list[tuple[Image.Image, str, str]]:
    """`per_class` images of every class as `(image, colour, shape)`, deterministic in `seed`.

    Classes are interleaved (one of each class, then the next round), in `CLASSES` order.
    Use seeds below `TRAIN_SEED_LIMIT` for training and `TEST_SEED` for held-out evaluation.
    """
    rng = random.Random(seed)
    return [
        (draw(colour, shape, rng, size), colour, shape)
        for _ in range(per_class)
        for colour, shape in CLASSES
    ]
