"""Model-free image facts."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFilter
import pytest

from agentsdk import Audio, ConfigurationError, Image
from agentsdk.encoders import ImageFactsEncoder
from agentsdk.encoders.facts import colour_name
from tests.encoders.samples import font, receipt_sample


def screenshot() -> PIL.Image.Image:
    face = font("DejaVuSans.ttf", 18)
    image = PIL.Image.new("RGB", (800, 450), (240, 240, 245))
    draw = PIL.ImageDraw.Draw(image)
    draw.rectangle((0, 0, 800, 50), fill=(40, 90, 200))
    draw.text((20, 15), "My App - Dashboard", font=face, fill="white")
    draw.rectangle((20, 80, 380, 420), fill="white", outline=(200, 200, 200))
    for i in range(5):
        draw.text((40, 100 + i * 30), f"Setting {i}: enabled", font=face, fill=(30, 30, 30))
    draw.rectangle((440, 350, 560, 390), fill=(40, 160, 80))
    return image


def photo() -> PIL.Image.Image:
    y, x = np.mgrid[0:480, 0:640]
    base = np.stack(
        [120 + 80 * np.sin(x / 90), 100 + 60 * np.cos(y / 70), 90 + 50 * np.sin((x + y) / 120)], -1
    )
    noisy = base + np.random.default_rng(0).normal(0, 12, base.shape)
    image = PIL.Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    return image.filter(PIL.ImageFilter.GaussianBlur(1.5))


@pytest.mark.parametrize(
    ("make", "kind"),
    [(lambda: receipt_sample().image, "document"), (screenshot, "screenshot"), (photo, "photo")],
)
def test_tells_documents_screenshots_and_photos_apart(make: object, kind: str) -> None:
    observation = ImageFactsEncoder().encode(Image(make()))  # type: ignore[operator]
    assert observation.details["looks_like"] == kind
    assert f"looks like a {kind}" in observation.text
    assert 0.5 <= observation.confidence <= 1.0


def test_reports_size_format_orientation_and_colours(tmp_path: Path) -> None:
    image = PIL.Image.new("RGB", (300, 100), (220, 30, 30))
    image.paste((30, 80, 220), (0, 0, 100, 100))
    path = tmp_path / "flag.png"
    image.save(path)
    observation = ImageFactsEncoder().encode(Image(path))
    details = observation.details
    assert (details["width"], details["height"], details["format"]) == (300, 100, "PNG")
    assert details["orientation"] == "landscape"
    names = [name for name, _ in details["colours"]]
    assert names[:2] == ["red", "blue"]
    assert dict(details["colours"])["red"] == pytest.approx(2 / 3, abs=0.02)
    assert re.match(r"300x100 PNG image, landscape; mostly red 6[67]%, blue 33%", observation.text)
    assert details["looks_like"] == "simple graphic"
    assert observation.part_name == "flag.png" and observation.model == ""


def test_colour_names() -> None:
    assert colour_name((250, 250, 250)) == "white"
    assert colour_name((10, 10, 10)) == "black"
    assert colour_name((35, 165, 55)) == "green"


def test_audio_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="Image"):
        ImageFactsEncoder().encode(Audio(np.ones(160, np.float32) / 2, sample_rate=16_000))
