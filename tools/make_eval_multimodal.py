#!/usr/bin/env python3
"""Generate the `multimodal` eval suite: questions about rendered receipts, invoices and
price boards, typed or spoken, whose answers are a number or a word on the image.

Writes into the output folder (default evals/multimodal):

- `suite.json`: the agent recipe (generic instructions, the calculator, CI runs 6 cases);
- `cases.jsonl`: 48 cases, eight of each kind: "total", "item_price", "sum_two", "split",
  "date" and "name"; the first six cover the six kinds (the CI subset);
- `images/mNN.png`: one image per case (neutral names: a file name reaches the model), drawn
  with Pillow in one of six fonts (DejaVu Sans/Serif/Sans Mono, Liberation Sans/Serif/Mono)
  and one of three layouts (a narrow till receipt, a wide invoice with a table, subtotal,
  VAT and total, a price board);
- `audio/mNN.flac`: for the spoken half, the question said by espeak-ng (six voices,
  150-165 words a minute), 16 kHz mono FLAC; those cases carry no typed question (four of
  them carry a short typed instruction instead).

Numbers are checked with `number` (tolerance 0.005, a split 0.01), dates with a `regex`
that accepts the usual spellings of the one date printed ("05 Mar 2024" on the image),
names with `word` (the shop's distinctive word or the customer's surname).

Everything comes from `random.Random(seed)`, so a rerun with the same seed writes the same
bytes (with the same Pillow, libsndfile and espeak-ng). Rerun it only to change the suite:

    python tools/make_eval_multimodal.py [--out evals/multimodal] [--seed 2024]

Needs espeak-ng and the Debian font packages fonts-dejavu-core and fonts-liberation2.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont
import soundfile
import soxr

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "evals" / "multimodal"
DEFAULT_SEED = 2024
SAMPLE_RATE = 16_000
CENT = Decimal("0.01")
MAX_FILE_BYTES = 60_000
"""Each committed image or clip stays under this (the script warns otherwise)."""

INSTRUCTIONS = (
    "Answer the user's question about the attached image, using the text read from the "
    "image and the words heard in any recording. Use the calculator for any arithmetic. "
    "Reply briefly with just the number, word or date that was asked for."
)

# ---------------------------------------------------------------------------------------
# Fonts

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
FONT_FILES: dict[str, tuple[str, str]] = {
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "DejaVu Serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "DejaVu Sans Mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "Liberation Sans": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    "Liberation Serif": ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
    "Liberation Mono": ("LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf"),
}
FONT_NAMES = tuple(FONT_FILES)

Font = PIL.ImageFont.FreeTypeFont


def load_font(family: str, size: int, *, bold: bool = False) -> Font:
    name = FONT_FILES[family][1 if bold else 0]
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return PIL.ImageFont.truetype(str(folder / name), size)
    raise SystemExit(f"font {name} is missing: apt-get install fonts-dejavu-core fonts-liberation2")


# ---------------------------------------------------------------------------------------
# Word lists: shops by trade, items with price ranges in cents, people, places


@dataclass(frozen=True)
class Trade:
    suffixes: list[str]
    """What follows the distinctive word in a shop's name ("Market", "Cafe")."""
    items: list[str]
    prices: tuple[int, int] = (450, 12000)
    """Lowest and highest unit price, in cents."""


def words(text: str) -> list[str]:
    """A word list written as one comma-separated string (compact and diff-friendly)."""
    return [word.strip() for word in text.split(",") if word.strip()]


TRADES: dict[str, Trade] = {
    "grocery": Trade(
        suffixes=words("Market, Grocers, Food Store, Fresh Foods"),
        prices=(45, 1299),
        items=words(
            "Olive oil, Brown rice, Green apples, Oat milk, Cheddar cheese, Cherry tomatoes, "
            "Bananas, Orange juice, Spaghetti, Honey, Salted butter, Greek yogurt, Lemons, "
            "Carrots, Chicken thighs, Peanut butter, Strawberry jam, Cornflakes, "
            "Sparkling water, Dark chocolate, Porridge oats, Red onions, Garlic, "
            "Sweet potatoes, Frozen peas, Basmati rice, Tinned tuna, Coffee beans, Avocados, "
            "Mushrooms, Wholemeal bread, Free range eggs, Broccoli, Pears"
        ),
    ),
    "hardware": Trade(
        suffixes=words("Hardware, Tools, Building Supplies, Home and Garden"),
        prices=(120, 3999),
        items=words(
            "Masking tape, Wood screws, Paint brush, Claw hammer, Light bulb, Door hinge, "
            "Tape measure, Sandpaper, Wood glue, Padlock, Extension cable, Spirit level, "
            "Work gloves, Duct tape, Paint roller, Cable ties, Wall plugs, Silicone sealant, "
            "Hacksaw, Screwdriver set, Pliers, Drill bits, Safety goggles, Dust sheet, "
            "Step ladder"
        ),
    ),
    "stationery": Trade(
        suffixes=words("Stationers, Paper Company, Office Store, Art Supplies"),
        prices=(60, 2499),
        items=words(
            "Notebook, Ballpoint pens, Stapler, Envelopes, Printer paper, Highlighters, "
            "Sticky notes, Paper clips, Scissors, Glue stick, Ruler, Pencil case, Desk diary, "
            "Ring binder, Colouring pencils, Eraser, Sketchbook, Whiteboard markers, "
            "Hole punch, Document wallet, Gift wrap, Greeting card, Fountain pen, "
            "Ink cartridges"
        ),
    ),
    "cafe": Trade(
        suffixes=words("Cafe, Coffee House, Bakery, Tea Rooms"),
        prices=(180, 950),
        items=words(
            "Cappuccino, Flat white, Latte, Espresso, Hot chocolate, Green tea, Croissant, "
            "Blueberry muffin, Bagel, Club sandwich, Tomato soup, Cheesecake, Banana bread, "
            "Fruit salad, Iced tea, Carrot cake, Scone, Porridge, Chai latte, "
            "Toasted panini, Lemonade, Brownie, Mocha, Granola bowl"
        ),
    ),
    "pharmacy": Trade(
        suffixes=words("Pharmacy, Chemist, Health Store"),
        prices=(150, 1599),
        items=words(
            "Toothpaste, Sunscreen, Hand cream, Shampoo, Vitamin tablets, Plasters, "
            "Cough syrup, Lip balm, Cotton pads, Mouthwash, Dental floss, Shower gel, "
            "Tissues, Throat lozenges, Face wash, Hairbrush, Deodorant, Nail file, "
            "Allergy tablets, Bath salts"
        ),
    ),
    "garden": Trade(
        suffixes=words("Garden Centre, Nursery, Plants"),
        prices=(150, 2999),
        items=words(
            "Flower seeds, Potting compost, Plant food, Watering can, Seed tray, "
            "Tomato plant, Garden twine, Pruning shears, Bird feeder, Lavender, "
            "Terracotta pot, Hanging basket, Rose bush, Bark chippings, Trowel, "
            "Garden kneeler, Slug pellets, Herb planter, Sunflower seeds"
        ),
    ),
}

INVOICE_TRADES: list[Trade] = [
    Trade(
        suffixes=words("Office Supplies Ltd, Business Services"),
        items=words(
            "Office chair, Desk lamp, Monitor stand, Printer toner, Keyboard, Webcam, "
            "Filing cabinet, Paper shredder, Laptop bag, Desk organiser, Whiteboard, "
            "Label printer, Wireless mouse, Headset"
        ),
    ),
    Trade(
        suffixes=words("Catering Ltd, Events"),
        items=words(
            "Buffet lunch, Coffee service, Room hire, Pastry platter, Fruit platter, "
            "Table linen, Waiting staff, Sandwich platter, Projector hire, "
            "Flower arrangement, Delivery charge"
        ),
    ),
    Trade(
        suffixes=words("Building Services, Maintenance Ltd"),
        items=words(
            "Labour, Call out fee, Replacement tap, Boiler service, Copper pipe, "
            "Radiator valve, Smoke alarm, Door lock, Window seal, Skip hire, Paint supplies, "
            "Light fitting"
        ),
    ),
    Trade(
        suffixes=words("Design Studio, Print Works"),
        items=words(
            "Logo design, Business cards, Flyers, Poster printing, Brochure layout, "
            "Photo retouching, Banner printing, Letterheads, Website banner, Proof copies"
        ),
    ),
]

SHOP_WORDS = words(
    "Brightwell, Hollybrook, Westfield, Oakridge, Riverside, Kingsley, Marlow, Ashford, "
    "Greenway, Harbour, Redwood, Fairview, Milton, Thornbury, Elmstead, Beacon, Larkspur, "
    "Willowby, Northgate, Sunnyside, Castleton, Bramley, Hawthorn, Pinewood, Stanton, "
    "Lakeside, Cromwell, Foxley, Moorland, Ravenhill, Silverdale, Whitby, Kestrel, Bluebell, "
    "Granger, Hartley, Linden, Meadowbank, Ormsby, Penrose, Quarry, Rosedale, Seaview, "
    "Tilbury, Upton, Victoria, Wexford, Yardley, Ashby, Birchwood, Claremont, Dunmore, "
    "Everton, Fenwick, Glenfield"
)
FIRST_NAMES = words(
    "Laura, James, Priya, Daniel, Sofia, Marcus, Hannah, Omar, Elena, Thomas, Grace, Samuel, "
    "Aisha, Peter, Chloe, Lucas, Mei, Oliver, Fatima, George, Isabel, Noah, Ruth, Victor"
)
SURNAMES = words(
    "Okafor, Bennett, Kowalski, Fernandes, Lindqvist, Harrington, Moreau, Nakamura, Castillo, "
    "Whitaker, Brennan, Petrova, Osei, Gallagher, Sandoval, Fitzgerald, Mbeki, Larsen, "
    "Donovan, Rossi, Abernathy, Kaminski, Delgado, Thornton, Novak, Ellison, Haddad, Quinn"
)
STREETS = words(
    "High Street, Station Road, Mill Lane, Church Street, Park Avenue, Market Square, "
    "Bridge Road, Queen Street, Victoria Road, Green Lane, Harbour Walk, King Street"
)
TOWNS = words("Leeds, Bristol, York, Norwich, Exeter, Bath, Derby, Chester")
MONTHS = words(
    "January, February, March, April, May, June, July, August, September, October, "
    "November, December"
)

# Light paper tints (RGB) and the dark and light price-board styles.
TINTS = [
    (255, 255, 255), (252, 250, 243), (247, 249, 252), (248, 252, 246),
    (253, 248, 246), (250, 250, 250), (255, 252, 235), (244, 247, 250),
]  # fmt: skip
BOARD_STYLES: list[dict[str, tuple[int, int, int]]] = [
    {"bg": (32, 46, 38), "fg": (244, 244, 236), "accent": (250, 222, 120)},
    {"bg": (28, 28, 30), "fg": (240, 240, 240), "accent": (255, 255, 255)},
    {"bg": (250, 248, 240), "fg": (22, 22, 22), "accent": (150, 20, 20)},
    {"bg": (240, 246, 252), "fg": (18, 28, 52), "accent": (12, 60, 140)},
]
INK = (24, 24, 24)
GREY = (85, 85, 85)

VOICES = ["en-us", "en-gb", "en-us+f3", "en-gb-x-rp", "en-us+m3", "en-gb-x-rp+f3"]
"""espeak-ng voices (en-gb ignores a +variant; en-gb-x-rp takes one)."""
KINDS = ["total", "item_price", "split", "date", "name", "sum_two"]

# (layout, spoken) for the eight cases of each kind, in the order the cases are written.
# Cases go out round by round (the r-th case of every kind), so the first six (the CI
# subset) hold one case of each kind, over the three layouts, half of them spoken.
REC, INV, BRD = "receipt", "invoice", "board"
T, S = False, True  # typed, spoken
PLAN: dict[str, list[tuple[str, bool]]] = {
    "total": [(REC, T), (INV, S), (REC, S), (INV, T), (REC, T), (INV, S), (REC, S), (INV, T)],
    "item_price": [(BRD, S), (REC, T), (INV, S), (BRD, T), (REC, S), (INV, T), (BRD, S), (REC, T)],
    "split": [(INV, S), (REC, T), (INV, T), (REC, S), (INV, S), (REC, T), (INV, T), (REC, S)],
    "date": [(REC, T), (BRD, S), (INV, T), (REC, S), (BRD, T), (INV, S), (REC, T), (BRD, S)],
    "name": [(INV, T), (BRD, S), (REC, S), (INV, S), (BRD, T), (REC, T), (BRD, S), (REC, T)],
    "sum_two": [(BRD, S), (REC, T), (INV, S), (BRD, T), (REC, S), (INV, T), (BRD, S), (REC, T)],
}  # fmt: skip
ROUNDS = 8

# ---------------------------------------------------------------------------------------
# Documents


@dataclass
class Item:
    name: str
    price: Decimal
    """Unit price."""
    qty: int = 1

    @property
    def amount(self) -> Decimal:
        return self.price * self.qty


@dataclass
class Document:
    """What one image shows. Receipts and boards use the shop fields, invoices the rest."""

    layout: str
    trade: str
    shop: str
    shop_word: str
    """The distinctive word of the shop's name (what a `name` check expects)."""
    date: tuple[int, int, int]
    """(year, month, day)."""
    items: list[Item]
    street: str
    time: str = ""
    till: int = 0
    payment: str = ""
    upper: bool = False
    """Receipt item names in capitals."""
    number: str = ""
    town: str = ""
    customer: str = ""
    customer_surname: str = ""
    customer_address: str = ""
    tax_rate: int = 0
    terms: int = 30

    @property
    def subtotal(self) -> Decimal:
        return sum((item.amount for item in self.items), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return (self.subtotal * self.tax_rate / 100).quantize(CENT, ROUND_HALF_UP)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    @property
    def date_text(self) -> str:
        """The one date format printed on every image: "05 Mar 2024"."""
        year, month, day = self.date
        return f"{day:02d} {MONTHS[month - 1][:3]} {year}"


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def pick_items(rng: random.Random, names: Sequence[str], count: int) -> list[str]:
    """`count` names, no two of which share a word (so a question names one line)."""
    chosen: list[str] = []
    used: set[str] = set()
    for name in rng.sample(list(names), len(names)):
        name_words = set(name.lower().split())
        if name_words & used:
            continue
        chosen.append(name)
        used |= name_words
        if len(chosen) == count:
            return chosen
    raise ValueError("not enough distinct item names")


def random_date(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(2023, 2025), rng.randint(1, 12), rng.randint(1, 28)


def random_price(rng: random.Random, low: int, high: int) -> Decimal:
    """A price in [low, high] cents, never a round number."""
    cents = rng.randint(low, high)
    if cents % 100 == 0:
        cents += rng.randint(1, 99)
    return Decimal(cents) / 100


def street(rng: random.Random) -> str:
    return f"{rng.randint(2, 98)} {rng.choice(STREETS)}"


def make_invoice(rng: random.Random, shop_word: str) -> Document:
    trade = rng.choice(INVOICE_TRADES)
    names = pick_items(rng, trade.items, rng.randint(3, 7))
    shop = f"{shop_word} {rng.choice(trade.suffixes)}"
    date, tax_rate = random_date(rng), rng.choice([5, 10, 20, 20])
    while True:  # keep the total under 1000 (no thousands separator to misread)
        items = [Item(n, random_price(rng, *trade.prices), rng.choice([1, 1, 2, 3])) for n in names]
        for item in rng.sample(items, 2):  # at least two single lines for price questions
            item.qty = 1
        document = Document(
            "invoice", "invoice", shop, shop_word, date, items, street(rng), tax_rate=tax_rate
        )
        if document.total < 1000:
            break
    surname = rng.choice(SURNAMES)
    document.customer = f"{rng.choice(FIRST_NAMES)} {surname}"
    document.customer_surname = surname
    document.customer_address = f"{street(rng)}, {rng.choice(TOWNS)}"
    document.number = f"INV-{rng.randint(1000, 9999)}"
    document.town = rng.choice(TOWNS)
    document.terms = rng.choice([14, 30])
    return document


def make_document(rng: random.Random, layout: str, shop_word: str) -> Document:
    if layout == "invoice":
        return make_invoice(rng, shop_word)
    trade_name = rng.choice(sorted(TRADES))
    trade = TRADES[trade_name]
    count = rng.randint(3, 7) if layout == "receipt" else rng.randint(3, 6)
    items = [Item(n, random_price(rng, *trade.prices)) for n in pick_items(rng, trade.items, count)]
    return Document(
        layout,
        trade_name,
        f"{shop_word} {rng.choice(trade.suffixes)}",
        shop_word,
        random_date(rng),
        items,
        street(rng),
        time=f"{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}",
        till=rng.randint(1, 6),
        payment=rng.choice(["Paid by card", "Paid in cash", "Card payment"]),
        upper=rng.random() < 0.4,
    )


# ---------------------------------------------------------------------------------------
# Rendering: each layout draws on a tall canvas, then crops it under the last line.

CANVAS_HEIGHT = 2400


def line_height(font: Font) -> int:
    ascent, descent = font.getmetrics()
    return int(ascent + descent)


def render_receipt(rng: random.Random, doc: Document, family: str) -> PIL.Image.Image:
    """A narrow till receipt: shop, address, date, items with right-aligned prices, total."""
    size = rng.randint(20, 23)
    body = load_font(family, size)
    bold = load_font(family, size + 2, bold=True)
    title = load_font(family, size + 8, bold=True)
    names = [item.name.upper() if doc.upper else item.name for item in doc.items]
    margin, gap = rng.randint(26, 36), rng.randint(12, 18)
    rows = zip(names, doc.items, strict=True)
    widest = max(body.getlength(f"{name}    {money(item.price)}") for name, item in rows)
    content = max(widest + 2 * margin, title.getlength(doc.shop.upper()) + 40)
    width = int(max(rng.randint(400, 470), content))
    step = line_height(body) + gap
    image = PIL.Image.new("RGB", (width, CANVAS_HEIGHT), rng.choice(TINTS))
    draw = PIL.ImageDraw.Draw(image)
    left, right, centre = margin, width - margin, width // 2
    y = margin
    draw.text((centre, y), doc.shop.upper(), font=title, fill=INK, anchor="ma")
    y += line_height(title) + gap
    draw.text((centre, y), doc.street, font=body, fill=GREY, anchor="ma")
    y += step
    draw.text((left, y), f"Date: {doc.date_text}", font=body, fill=INK)
    y += step
    draw.text((left, y), f"Time {doc.time}", font=body, fill=GREY)
    draw.text((right, y), f"Till {doc.till}", font=body, fill=GREY, anchor="ra")
    y += step + 8
    draw.line((left, y, right, y), fill=GREY, width=2)
    y += 22
    for name, item in zip(names, doc.items, strict=True):
        draw.text((left, y), name, font=body, fill=INK)
        draw.text((right, y), money(item.price), font=body, fill=INK, anchor="ra")
        y += step
    draw.line((left, y, right, y), fill=GREY, width=2)
    y += 22
    draw.text((left, y), "TOTAL", font=bold, fill=INK)
    draw.text((right, y), money(doc.total), font=bold, fill=INK, anchor="ra")
    y += line_height(bold) + gap + 6
    draw.text((centre, y), doc.payment, font=body, fill=GREY, anchor="ma")
    y += step
    draw.text((centre, y), "Thank you for shopping!", font=body, fill=GREY, anchor="ma")
    y += line_height(body) + margin
    return image.crop((0, 0, width, y))


def render_invoice(rng: random.Random, doc: Document, family: str) -> PIL.Image.Image:
    """A wide A4-like invoice: supplier, number, date, customer, a table and the totals."""
    size = rng.randint(19, 21)
    body = load_font(family, size)
    bold = load_font(family, size, bold=True)
    title = load_font(family, size + 12, bold=True)
    heading = load_font(family, size + 16, bold=True)
    width, margin = rng.choice([760, 780, 800]), rng.randint(44, 56)
    step, row = line_height(body) + 14, line_height(body) + 22
    image = PIL.Image.new("RGB", (width, CANVAS_HEIGHT), rng.choice(TINTS))
    draw = PIL.ImageDraw.Draw(image)
    left, right = margin, width - margin
    y = margin
    draw.text((left, y), doc.shop, font=title, fill=INK)
    draw.text((right, y - 4), "INVOICE", font=heading, fill=INK, anchor="ra")
    y += line_height(heading) + 10
    draw.text((left, y), doc.street, font=body, fill=GREY)
    draw.text((right, y), f"No. {doc.number}", font=body, fill=INK, anchor="ra")
    y += step
    draw.text((left, y), doc.town, font=body, fill=GREY)
    draw.text((right, y), f"Date: {doc.date_text}", font=body, fill=INK, anchor="ra")
    y += step + 26
    draw.text((left, y), "Bill to:", font=bold, fill=INK)
    draw.text((left, y + step), doc.customer, font=body, fill=INK)
    draw.text((left, y + 2 * step), doc.customer_address, font=body, fill=GREY)
    y += 3 * step + 30
    # the table: Description | Qty | Unit price | Amount
    columns = (left + 14, right - 330, right - 150, right - 14)
    pad = (row - line_height(body)) // 2
    draw.rectangle((left, y, right, y + row), fill=(234, 234, 234))
    for x, header in zip(columns, ("Description", "Qty", "Unit price", "Amount"), strict=True):
        draw.text(
            (x, y + pad), header, font=bold, fill=INK, anchor=None if x == columns[0] else "ra"
        )
    y += row
    for item in doc.items:
        cells = (item.name, str(item.qty), money(item.price), money(item.amount))
        for x, cell in zip(columns, cells, strict=True):
            draw.text(
                (x, y + pad), cell, font=body, fill=INK, anchor=None if x == columns[0] else "ra"
            )
        y += row
        draw.line((left, y, right, y), fill=(190, 190, 190), width=1)
    y += 24
    label_x = right - 220
    totals = (
        ("Subtotal", doc.subtotal, body),
        (f"VAT {doc.tax_rate}%", doc.tax, body),
        ("Total (EUR)", doc.total, bold),
    )
    for label, value, face in totals:
        if face is bold:
            draw.line((label_x - 10, y - 8, right, y - 8), fill=GREY, width=2)
        draw.text((label_x, y), label, font=face, fill=INK, anchor="ra")
        draw.text((columns[3], y), money(value), font=face, fill=INK, anchor="ra")
        y += step
    y += 30
    draw.text((left, y), f"Payment due within {doc.terms} days.", font=body, fill=GREY)
    y += step
    draw.text((left, y), "Thank you for your business.", font=body, fill=GREY)
    y += line_height(body) + margin
    return image.crop((0, 0, width, max(y, int(width * 1.3))))


BOARD_TITLES = {
    "grocery": ["Today's prices", "Fresh this week", "Price list"],
    "hardware": ["Special offers", "Price list", "This week only"],
    "stationery": ["Back to school", "Price list", "Special offers"],
    "cafe": ["Menu", "Today's menu", "Drinks and snacks"],
    "pharmacy": ["Special offers", "Price list", "This week"],
    "garden": ["Spring offers", "Price list", "Plants and tools"],
}


def render_board(rng: random.Random, doc: Document, family: str) -> PIL.Image.Image:
    """A shop's price board: big name, a subtitle, items with prices, a date; light text
    on a dark board or dark text on a light one, in a frame."""
    style = rng.choice(BOARD_STYLES)
    size = rng.randint(26, 30)
    body = load_font(family, size)
    name_font = load_font(family, size + 14, bold=True)
    small = load_font(family, size - 4)
    width, margin = rng.choice([580, 620, 660, 700]), rng.randint(40, 52)
    step = line_height(body) + rng.randint(14, 20)
    subtitle = rng.choice(BOARD_TITLES[doc.trade])
    image = PIL.Image.new("RGB", (width, CANVAS_HEIGHT), style["bg"])
    draw = PIL.ImageDraw.Draw(image)
    left, right, centre = margin + 10, width - margin - 10, width // 2
    y = margin
    draw.text((centre, y), doc.shop, font=name_font, fill=style["accent"], anchor="ma")
    y += line_height(name_font) + 8
    draw.text((centre, y), subtitle, font=small, fill=style["fg"], anchor="ma")
    y += line_height(small) + 40
    for item in doc.items:
        draw.text((left, y), item.name, font=body, fill=style["fg"])
        draw.text((right, y), money(item.price), font=body, fill=style["fg"], anchor="ra")
        y += step
    y += 24
    draw.text((centre, y), f"Valid from {doc.date_text}", font=small, fill=style["fg"], anchor="ma")
    y += line_height(small) + margin
    image = image.crop((0, 0, width, y))
    frame = PIL.ImageDraw.Draw(image)
    frame.rectangle((10, 10, width - 11, y - 11), outline=style["accent"], width=4)
    return image


RENDERERS = {"receipt": render_receipt, "invoice": render_invoice, "board": render_board}


def save_png(image: PIL.Image.Image, path: Path) -> None:
    """A 16-colour palette PNG (no dithering, no metadata): small and reproducible."""
    palette = image.quantize(
        colors=16, method=PIL.Image.Quantize.MEDIANCUT, dither=PIL.Image.Dither.NONE
    )
    palette.save(path, format="PNG", optimize=True)


# ---------------------------------------------------------------------------------------
# Speech


WORD_GAP = 3
"""Pause between words, in 10 ms units (espeak-ng -g): Whisper tiny mishears fewer words."""


def speak(text: str, voice: str, speed: int, path: Path) -> None:
    """espeak-ng -> 16 kHz mono, silence trimmed, peak-normalised, 16-bit FLAC."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("this script needs espeak-ng: apt-get install espeak-ng")
    wav = subprocess.run(
        [espeak, "-v", voice, "-s", str(speed), "-g", str(WORD_GAP), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    audio: npt.NDArray[np.float32] = np.asarray(
        soxr.resample(samples, rate, SAMPLE_RATE, quality="HQ"), dtype=np.float32
    )
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    pad = int(0.12 * SAMPLE_RATE)
    if loud.size:
        audio = audio[max(0, int(loud[0]) - pad) : int(loud[-1]) + pad]
    peak = float(np.max(np.abs(audio))) or 1.0
    # 11 significant bits in a 16-bit stream (66 dB, above espeak's own noise floor): FLAC
    # stores the five zero bits for free, which keeps each clip small.
    steps = np.round(audio / peak * 0.89 * 1023).astype(np.int16)
    pcm = (steps * 32).astype(np.int16)
    soundfile.write(
        str(path), pcm, SAMPLE_RATE, subtype="PCM_16", format="FLAC", compression_level=1.0
    )


# ---------------------------------------------------------------------------------------
# Questions and checks


def date_regex(date: tuple[int, int, int]) -> str:
    """A pattern that accepts the date in the usual unambiguous spellings: "15 Mar 2024",
    "15th of March, 2024", "March 15, 2024", "2024-03-15", "15/03/2024", "15.03.2024"
    (and "03/15/2024" when the day cannot be a month)."""
    year, month, day = date
    name = MONTHS[month - 1].lower()
    mon = f"{name[:3]}(?:{name[3:]})?" if len(name) > 3 else name
    if name == "september":
        mon = "sep(?:t|tember)?"
    d = f"0?{day}" if day < 10 else str(day)
    m = f"0?{month}" if month < 10 else str(month)
    ordinal = "(?:st|nd|rd|th)?"
    spellings = [
        rf"\b{d}{ordinal}(?:\s+of)?[\s-]+{mon}\.?[\s,-]+{year}\b",
        rf"\b{mon}\.?\s+{d}{ordinal},?\s+{year}\b",
        rf"\b{year}-{m}-{d}\b",
        rf"\b{d}[/.]{m}[/.]{year}\b",
    ]
    if day > 12:
        spellings.append(rf"\b{m}/{d}/{year}\b")
    return "|".join(f"(?:{s})" for s in spellings)


def number_check(value: Decimal, tolerance: str = "0.005") -> dict[str, Any]:
    return {"number": float(value), "tolerance": float(tolerance)}


# Question phrasings by kind and by what they ask about. SPOKEN holds the phrasings that
# espeak-ng says and Whisper tiny hears back well (it mishears "invoice" and "bill" in
# most voices, so spoken questions about invoices avoid them); typed questions draw from
# SPOKEN and TYPED together. {a}/{b}: item names, {n}: a number of people.
SPOKEN: dict[str, dict[str, list[str]]] = {
    "total": {
        "receipt": ["What is the total on this receipt?", "How much was paid in total?"],
        "invoice": ["What is the total amount?", "What is the total to pay?"],
    },
    "item_price": {
        "any": [
            "How much {is_} the {a}?",
            "What {does} the {a} cost?",
            "What is the price of the {a}?",
        ],
    },
    "sum_two": {
        "any": [
            "What do the {a} and the {b} cost together?",
            "How much do the {a} and the {b} cost together?",
        ],
    },
    "split": {
        "any": [
            "Split the total between {n} people. What is each share?",
        ],
    },
    "date": {
        "receipt": ["What is the date on this receipt?", "On what date was this receipt printed?"],
        "invoice": ["What is the date on this document?"],
        "board": ["What is the date on the board?", "What date is written on the board?"],
    },
    "name": {
        "receipt": ["What is the name of the shop?", "What is the shop called?"],
        "board": ["What is the name of this shop?", "What is the shop called?"],
        "supplier": ["What is the name of the company?"],
        "customer": ["What is the surname of the customer?"],
    },
}
TYPED: dict[str, dict[str, list[str]]] = {
    "total": {
        "receipt": ["What is the total amount?"],
        "invoice": ["What is the total of this invoice?", "What is the total amount due?"],
    },
    "item_price": {"any": []},
    "sum_two": {"any": ["What is the price of the {a} plus the {b}?"]},
    "split": {
        "any": ["We are {n}, how much does each pay?", "We are {n}, how much does each of us pay?"],
        "receipt": ["We are {n} people sharing this bill. How much does each pay?"],
        "invoice": ["Split this invoice {n} ways. How much is each share?"],
    },
    "date": {
        "receipt": [],
        "invoice": ["What is the date of this invoice?", "When was this invoice issued?"],
        "board": ["From what date are these prices valid?"],
    },
    "name": {
        "receipt": ["Which shop is this receipt from?"],
        "board": [],
        "supplier": ["Which company issued this invoice?", "Who sent this invoice?"],
        "customer": ["Who is this invoice billed to? Give the surname."],
    },
}
NUMBER_WORDS = ["", "one", "two", "three", "four", "five", "six"]
HARD_TO_HEAR = frozenset(
    words(
        "Allergy tablets, Banner printing, Bark chippings, Basmati rice, Bird feeder, "
        "Brochure layout, Brownie, Buffet lunch, Cappuccino, Chai latte, Cheddar cheese, "
        "Claw hammer, Coffee service, Cornflakes, Cotton pads, Cough syrup, Door lock, "
        "Eraser, Garden twine, Green tea, Hairbrush, Hanging basket, Headset, Highlighters, "
        "Honey, Iced tea, Laptop bag, Lemons, Light bulb, Logo design, Mocha, Monitor stand, "
        "Nail file, Notebook, Office chair, Olive oil, Padlock, Paint brush, Paint supplies, "
        "Paper clips, Peanut butter, Plasters, Pliers, Potting compost, Red onions, "
        "Replacement tap, Rose bush, Safety goggles, Shower gel, Spirit level, Sticky notes, "
        "Strawberry jam, Table linen, Terracotta pot, Toasted panini, Tomato plant, Trowel, "
        "Vitamin tablets, Webcam, Website banner, Whiteboard markers, Window seal"
    )
)
"""Item names that Whisper tiny often mishears from espeak-ng (checked once by hand):
they still appear on images, but spoken questions do not ask about them."""


def phrasing(rng: random.Random, kind: str, about: str, *, spoken: bool) -> str:
    """One phrasing for `kind` about `about` (a layout, "supplier" or "customer")."""
    choices = [*SPOKEN[kind].get(about, []), *SPOKEN[kind].get("any", [])]
    if not spoken:
        choices += [*TYPED[kind].get(about, []), *TYPED[kind].get("any", [])]
    return rng.choice(choices)


def is_plural(name: str) -> bool:
    """ "Wood screws" takes "are"; "Dental floss" takes "is"."""
    last = name.split()[-1].lower()
    return last.endswith("s") and not last.endswith(("ss", "us"))


def make_question(
    rng: random.Random, kind: str, doc: Document, *, spoken: bool, about: str = ""
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The question, its `expected` checks and extra metadata. `about`: whom an invoice
    `name` question asks for, "supplier" or "customer"."""
    single = [item for item in doc.items if item.qty == 1]
    if spoken:
        heard = [item for item in single if item.name not in HARD_TO_HEAR]
        single = heard if len(heard) >= (2 if kind == "sum_two" else 1) else single
    template = phrasing(rng, kind, about or doc.layout, spoken=spoken)
    if kind == "total":
        return template, number_check(doc.total), {}
    if kind == "item_price":
        item = rng.choice(single)
        many = is_plural(item.name)
        question = template.format(
            a=item.name.lower(), is_="are" if many else "is", does="do" if many else "does"
        )
        return question, number_check(item.price), {"items": [item.name]}
    if kind == "sum_two":
        a, b = rng.sample(single, 2)
        question = template.format(a=a.name.lower(), b=b.name.lower())
        return question, number_check(a.price + b.price), {"items": [a.name, b.name]}
    if kind == "split":
        people = rng.randint(2, 6)
        share = (doc.total / people).quantize(CENT, ROUND_HALF_UP)
        question = template.format(n=NUMBER_WORDS[people] if spoken else people)
        return question, number_check(share, "0.01"), {"people": people}
    if kind == "date":
        year, month, day = doc.date
        iso = f"{year}-{month:02d}-{day:02d}"
        return template, {"regex": date_regex(doc.date)}, {"iso": iso}
    if kind == "name":
        if doc.layout != "invoice":
            return template, {"word": doc.shop_word}, {"about": "shop"}
        want, other = (
            (doc.shop_word, doc.customer_surname)
            if about == "supplier"
            else (doc.customer_surname, doc.shop_word)
        )
        return template, {"word": want, "choices": [want, other]}, {"about": about}
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------
# The suite


def suite_config() -> dict[str, Any]:
    return {
        "name": "multimodal",
        "target": "agent",
        "description": (
            "Questions, typed or spoken, about rendered receipts, invoices and price boards "
            "(six fonts, three layouts): a total, an item's price, the sum of two items, a "
            "split between people, a date or a name read off the image. Generated by "
            "tools/make_eval_multimodal.py."
        ),
        "agent": {
            "instructions": INSTRUCTIONS,
            "tools": ["calculator"],
            "max_steps": 4,
            "max_tokens": 96,
        },
        "ci_limit": 6,
    }


def build(out: Path, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "audio").mkdir(parents=True, exist_ok=True)
    shop_words = rng.sample(SHOP_WORDS, ROUNDS * len(KINDS))
    invoice_names = iter(["supplier", "customer"] * ROUNDS)
    cases: list[dict[str, Any]] = []
    written: set[Path] = set()
    spoken_count = 0
    for round_ in range(ROUNDS):
        for k, kind in enumerate(KINDS):
            layout, spoken = PLAN[kind][round_]
            number = round_ + 1
            case_id = f"{kind}-{number:02d}"
            # media names say nothing about the case: a file name reaches the model
            media = f"m{len(cases) + 1:02d}"
            family = FONT_NAMES[(k + round_) % len(FONT_NAMES)]
            doc = make_document(rng, layout, shop_words[len(cases)])
            about = next(invoice_names) if layout == "invoice" and kind == "name" else ""
            image = RENDERERS[layout](rng, doc, family)
            image_path = out / "images" / f"{media}.png"
            save_png(image, image_path)
            written.add(image_path)
            question, expected, extra = make_question(rng, kind, doc, spoken=spoken, about=about)
            metadata: dict[str, Any] = {
                "kind": kind,
                "layout": layout,
                "font": family,
                "voice": "typed",
            }
            case: dict[str, Any] = {"id": case_id, "text": question}
            if spoken:
                voice = VOICES[spoken_count % len(VOICES)]
                speed = rng.randint(150, 165)
                audio_path = out / "audio" / f"{media}.flac"
                speak(question, voice, speed, audio_path)
                written.add(audio_path)
                # a few spoken cases carry a short typed instruction; the rest only audio
                case["text"] = "Answer the spoken question." if spoken_count % 5 == 4 else ""
                metadata |= {"voice": voice, "speed_wpm": speed, "word_gap_ms": 10 * WORD_GAP}
                spoken_count += 1
            metadata |= {"question": question, "size": list(image.size), **extra}
            case["images"] = [f"images/{media}.png"]
            case["audio"] = [f"audio/{media}.flac"] if spoken else []
            case["expected"] = expected
            case["metadata"] = metadata
            cases.append(case)
    for folder, suffix in (("images", ".png"), ("audio", ".flac")):
        for stale in sorted((out / folder).glob(f"*{suffix}")):
            if stale not in written:
                stale.unlink()
    lines = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
    (out / "cases.jsonl").write_text(lines, encoding="utf-8")
    suite = json.dumps(suite_config(), indent=2, ensure_ascii=False) + "\n"
    (out / "suite.json").write_text(suite, encoding="utf-8")
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="suite folder")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    out: Path = args.out
    cases = build(out, args.seed)
    files = [out / "suite.json", out / "cases.jsonl"]
    files += sorted((out / "images").glob("*.png")) + sorted((out / "audio").glob("*.flac"))
    total = sum(path.stat().st_size for path in files)
    biggest = max(files, key=lambda path: path.stat().st_size)
    print(f"wrote {len(cases)} cases, {len(files)} files, {total / 1024:.0f} KiB to {out}")
    print(f"largest: {biggest.name} ({biggest.stat().st_size / 1024:.1f} KiB)")
    for path in files:
        if path.stat().st_size > MAX_FILE_BYTES:
            print(f"warning: {path} is over {MAX_FILE_BYTES // 1000} kB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
