"""Real test media made on the spot: espeak-ng speech and Pillow-rendered text."""

from __future__ import annotations

import math
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont

# Varied on purpose: numbers, money, times, names, places, questions and commands.
SENTENCES = [
    "What is the total on this receipt?",
    "Please send the report to Maria before Friday.",
    "The meeting starts at 3 o'clock in room 12.",
    "How many apples are left in the basket?",
    "John Smith paid 45 dollars for two tickets.",
    "Can you turn off the lights in the kitchen?",
    "My phone number is 555 2190.",
    "The train to London leaves in 20 minutes.",
    "Add 17 and 25 and tell me the answer.",
    "Where did Sarah put the blue folder?",
    "We need 3 more chairs for the party on Saturday.",
    "Is it going to rain in Paris tomorrow?",
]
VOICE = ("-v", "en-gb-x-rp", "-s", "140", "-g", "2")


def speak(text: str, path: Path) -> Path:
    """Synthesise `text` to a WAV file with espeak-ng (Debian package espeak-ng)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("these tests need espeak-ng: apt-get install espeak-ng")
    subprocess.run([espeak, *VOICE, "-w", str(path), text], check=True)
    return path


FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation2"),
)
FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSans-Bold.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationSerif-Regular.ttf",
)


def font(name: str, size: int) -> PIL.ImageFont.FreeTypeFont:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return PIL.ImageFont.truetype(str(folder / name), size)
    raise RuntimeError(
        f"font {name} is missing: apt-get install fonts-dejavu-core fonts-liberation2"
    )


@dataclass(frozen=True)
class TextSample:
    image: PIL.Image.Image
    text: str
    """What a perfect reader returns: rows joined by newlines."""
    label: str


LINES = [
    "Invoice 2041 due on 12 March",
    "The quick brown fox jumps over the lazy dog",
    "Meeting moved to Thursday at 10:30",
    "Total amount payable: 128.40 EUR",
    "Call Alice on 020 7946 0018",
    "Order ships within 3 to 5 days",
    "Keep out of reach of children",
    "Platform 9 departs at 17:45",
    "Password reset code 884211",
    "Fresh bread baked every morning",
]


def _add_noise(image: PIL.Image.Image, rng: random.Random, sigma: float) -> PIL.Image.Image:
    pixels = np.asarray(image, dtype=np.float32)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, sigma, pixels.shape)
    return PIL.Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def text_samples(seed: int = 7) -> list[TextSample]:
    """Ten single- and two-line images (fonts, sizes, rotation, noise) and one receipt."""
    rng = random.Random(seed)
    samples = []
    for index, line in enumerate(LINES):
        size = (18, 22, 28, 34)[index % 4]
        face = font(FONTS[index % len(FONTS)], size)
        second = LINES[(index + 3) % len(LINES)] if index % 3 == 0 else None
        width = int(face.getlength(max(line, second or "", key=len))) + 80
        height = size * (4 if second else 2) + 40
        image = PIL.Image.new("RGB", (width, height), (250, 250, 245))
        draw = PIL.ImageDraw.Draw(image)
        draw.text((40, 20), line, font=face, fill=(20, 20, 20))
        if second:
            draw.text((40, 20 + int(size * 1.8)), second, font=face, fill=(20, 20, 20))
        angle = rng.uniform(-2.5, 2.5)
        image = image.rotate(
            angle, resample=PIL.Image.BICUBIC, expand=True, fillcolor=(250, 250, 245)
        )
        image = _add_noise(image, rng, sigma=(4, 8, 12)[index % 3])
        text = line if second is None else f"{line}\n{second}"
        samples.append(
            TextSample(image, text, f"{FONTS[index % len(FONTS)]}@{size}px {angle:+.1f}deg")
        )
    samples.append(receipt_sample())
    return samples


RECEIPT_ITEMS = [
    ("Coffee beans 1kg", "12.50"),
    ("Whole milk 2L", "3.25"),
    ("Sourdough bread", "4.10"),
    ("Free range eggs", "5.60"),
]


def receipt_sample() -> TextSample:
    """A receipt: a header, items with right-aligned prices, a total."""
    face, bold = font("DejaVuSansMono.ttf", 20), font("DejaVuSans-Bold.ttf", 24)
    image = PIL.Image.new("RGB", (480, 380), "white")
    draw = PIL.ImageDraw.Draw(image)
    draw.text((150, 20), "CORNER MARKET", font=bold, fill="black")
    rows = ["CORNER MARKET"]
    y = 80
    for name, price in RECEIPT_ITEMS:
        draw.text((30, y), name, font=face, fill="black")
        draw.text((450 - face.getlength(price), y), price, font=face, fill="black")
        rows.append(f"{name} {price}")
        y += 40
    total = f"{sum(float(p) for _, p in RECEIPT_ITEMS):.2f}"
    draw.text((30, y + 30), "TOTAL", font=bold, fill="black")
    draw.text((450 - bold.getlength(total), y + 30), total, font=bold, fill="black")
    rows.append(f"TOTAL {total}")
    image = image.rotate(1.0, resample=PIL.Image.BICUBIC, expand=True, fillcolor="white")
    return TextSample(image, "\n".join(rows), "receipt")


def noisy(samples: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """`samples` with white noise mixed in at the given signal-to-noise ratio."""
    power = float(np.mean(samples**2))
    noise_power = power / (10 ** (snr_db / 10))
    noise = np.random.default_rng(seed).normal(0, math.sqrt(noise_power), samples.shape)
    return (samples + noise).astype(np.float32)
