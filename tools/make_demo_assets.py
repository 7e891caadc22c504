#!/usr/bin/env python3
"""Draw the demo's receipt and speak its question. The outputs are committed under
agentsdk/assets (shipped in the package); run this again only to change them.

    python tools/make_demo_assets.py            # needs espeak-ng and the DejaVu fonts
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont

ASSETS = Path(__file__).resolve().parent.parent / "agentsdk" / "assets"
FONTS = Path("/usr/share/fonts/truetype/dejavu")
QUESTION = "What is the total of the items on this receipt?"
ITEMS = [
    ("Coffee beans 1kg", "12.50"),
    ("Whole milk 2L", "3.25"),
    ("Sourdough bread", "4.10"),
    ("Free range eggs", "5.60"),
]


def draw_receipt() -> PIL.Image.Image:
    """A shop receipt: name, date, items with right-aligned prices, no printed total."""
    mono = PIL.ImageFont.truetype(str(FONTS / "DejaVuSansMono.ttf"), 20)
    bold = PIL.ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 26)
    small = PIL.ImageFont.truetype(str(FONTS / "DejaVuSansMono.ttf"), 16)
    image = PIL.Image.new("RGB", (480, 400), (252, 251, 247))
    draw = PIL.ImageDraw.Draw(image)
    draw.text((240, 30), "CORNER MARKET", font=bold, fill="black", anchor="mm")
    draw.text(
        (240, 62), "12 High Street  2026-11-24 09:41", font=small, fill=(60, 60, 60), anchor="mm"
    )
    draw.line((30, 90, 450, 90), fill=(120, 120, 120), width=2)
    y = 110
    for name, price in ITEMS:
        draw.text((30, y), name, font=mono, fill="black")
        draw.text((450, y), price, font=mono, fill="black", anchor="ra")
        y += 42
    draw.line((30, y + 4, 450, y + 4), fill=(120, 120, 120), width=2)
    draw.text((240, y + 40), "Thank you for shopping!", font=small, fill=(60, 60, 60), anchor="mm")
    return image


def main() -> int:
    ASSETS.mkdir(parents=True, exist_ok=True)
    draw_receipt().save(ASSETS / "receipt.png", optimize=True)
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            "en-gb-x-rp",
            "-s",
            "140",
            "-g",
            "2",
            "-w",
            str(ASSETS / "question.wav"),
            QUESTION,
        ],
        check=True,
    )
    print(f"wrote {ASSETS / 'receipt.png'} and {ASSETS / 'question.wav'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
