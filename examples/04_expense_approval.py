"""04: expense approval. Receipt photos come in; OCR reads each, and the agent asks to
reimburse its total. Up to a limit that runs at once; above it the run pauses for a
person, with the evidence (what was read, where the amount came from), saved in SQLite.
A second process, later, decides and resumes it.

Run it (after `python3 tools/bootstrap.py demo`), in a folder of your choice:

    .venv/bin/python examples/04_expense_approval.py submit [RECEIPT.png ...]
    .venv/bin/python examples/04_expense_approval.py review THREAD approve|reject

`submit` without receipts uses the bundled grocery receipt and a hotel bill it draws
(hotel.png); `review` runs in a new process and finds the paused run in expenses.db.
Without arguments it does both, the review in a child process, and prints e.g.

    receipt.png: reimbursed 25.45 (under the limit of 100.00)
    hotel.png: paused as thread expense-hotel: reimburse 238.00 needs a person
      evidence:
        the approval rule of tool 'reimburse' holds for these arguments
        ...
        TOTAL 238.00  (score 0.97)
    [new process] expense-hotel approved by ana: reimbursed 238.00
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agentsdk import Agent, CallTemplate, Image, Limits, SQLiteCheckpointStore, tool

LIMIT = 100.0
DB = Path("expenses.db")
paid: list[float] = []


@tool(
    approval=lambda args: float(args["amount"]) > LIMIT,  # a person decides above the limit
    templates=[
        CallTemplate(
            {"amount": "{total}"},  # the receipt's total: stated, else the sum of its lines
            ("Reimburse this receipt.", "Pay back this expense.", "Claim this bill."),
        )
    ],
)
def reimburse(amount: float) -> str:
    """Reimburse an expense to the employee who paid it.

    Args:
        amount: The amount to pay back.
    """
    paid.append(amount)
    return f"reimbursed {amount:.2f}"


def agent() -> Agent:
    return Agent(
        tools=[reimburse], checkpointer=SQLiteCheckpointStore(DB), limits=Limits(max_steps=3)
    )


def submit(receipts: list[Path]) -> list[str]:
    """Each receipt in its own thread; returns the threads left waiting for a person."""
    waiting = []
    for receipt in receipts:
        thread = f"expense-{receipt.stem}"
        result = agent().run(["Reimburse this receipt.", Image(receipt)], thread_id=thread)
        if not result.paused:
            print(f"{receipt.name}: {result.text} (under the limit of {LIMIT:.2f})")
            continue
        call = result.interruptions[0].call
        amount = call.arguments["amount"] if call is not None else "?"
        print(f"{receipt.name}: paused as thread {thread}: reimburse {amount} needs a person")
        print("  evidence:")  # what the person sees: the rule, the request, what was read
        for line in result.interruptions[0].evidence.render().splitlines()[:11]:
            print(f"    {line.strip()}")
        waiting.append(thread)
    return waiting


def review(thread: str, verdict: str, actor: str = "ana") -> None:
    """Decide on a paused thread, in this (new) process, and go on with it."""
    store = SQLiteCheckpointStore(DB)
    state = store.load(thread)
    if state is None or not state.interruptions:
        raise SystemExit(f"{thread}: nothing waits for a decision")
    if verdict == "approve":
        state.approve(state.interruptions[0], actor=actor)
    elif verdict == "reject":
        state.reject(state.interruptions[0], "not a business expense", actor=actor)
    else:
        raise SystemExit(f"say approve or reject, not {verdict!r}")
    result = agent().resume(state)
    print(f"[new process] {thread} {verdict.rstrip('e')}ed by {actor}: {result.text}")


def hotel_bill(path: Path) -> Path:
    """A hotel bill above the limit, drawn with Pillow."""
    from PIL import Image as Picture
    from PIL import ImageDraw, ImageFont

    lines = [
        "HOTEL MERIDIAN",
        "Room 2 nights 2 x 96.00 192.00",
        "Breakfast 2 x 14.50 29.00",
        "City tax 17.00",
        "TOTAL 238.00",
        "Paid by card",
    ]
    font = ImageFont.truetype("DejaVuSans.ttf", 28)
    picture = Picture.new("RGB", (640, 60 + 50 * len(lines)), "white")
    draw = ImageDraw.Draw(picture)
    for row, line in enumerate(lines):
        draw.text((30, 30 + 50 * row), line, fill="black", font=font)
    picture.save(path)
    return path


def sample_receipts() -> list[Path]:
    from agentsdk.cli.demo import default_assets

    return [default_assets()[0], hotel_bill(Path("hotel.png"))]


def main() -> None:
    for thread in submit(sample_receipts()):  # a person decides later, in another process
        subprocess.run([sys.executable, __file__, "review", thread, "approve"], check=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "submit":
        submit([Path(p) for p in sys.argv[2:]] or sample_receipts())
    elif len(sys.argv) == 4 and sys.argv[1] == "review":
        review(sys.argv[2], sys.argv[3])
    else:
        main()
