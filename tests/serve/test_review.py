"""The reviewer's page in a real headless browser (Debian's chromium through selenium):
a paused payment with its receipt, the amount edited, approved; the tool runs once."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image as PILImage

from agentsdk import (
    Agent,
    FunctionModel,
    Message,
    Observation,
    SQLiteCheckpointStore,
    ToolCall,
    tool,
)
from agentsdk.media import Media
from agentsdk.models.testing import ModelCall
from agentsdk.router import Router
from agentsdk.serve import ApiKey, KeyRing, create_app
from agentsdk.serve.app import REVIEW_HEADERS
from tests.serve.server import serving

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
RUN_KEY, REVIEW_KEY = "sk-run-0123456789", "sk-review-0123456789"


class BoxedOCR:
    """Reads a fixed receipt line, with the box it was read in."""

    name, modality, cache_key = "ocr", "image", "boxed-ocr"

    def encode(self, part: Media) -> Observation:
        box = [[10.0, 20.0], [150.0, 20.0], [150.0, 40.0], [10.0, 40.0]]
        return Observation(
            kind="ocr",
            text="TOTAL 250.00",
            confidence=0.93,
            encoder=self.name,
            model="boxed",
            part_id=part.sha256,
            part_name=part.name,
            details={"lines": [{"text": "TOTAL 250.00", "score": 0.93, "box": box}]},
        )


def _receipt() -> str:
    buffer = io.BytesIO()
    PILImage.fromarray(np.full((60, 200, 3), 250, np.uint8)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _browser() -> Any:
    if not Path(CHROMEDRIVER).is_file() or not Path(CHROMIUM).is_file():
        pytest.fail(
            f"{CHROMEDRIVER} or {CHROMIUM} is missing: install Debian's chromium and "
            "chromium-driver (python3 tools/bootstrap.py test does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=375,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _until(check: Any, what: str, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.browser
def test_a_reviewer_edits_and_approves_a_payment_in_the_page(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    paid: list[float] = []

    @tool(approval=lambda arguments: arguments["amount"] > 100)
    def pay(amount: float) -> str:
        """Pay an amount.

        Args:
            amount: How much.
        """
        paid.append(amount)
        return f"paid {amount}"

    def model(messages: list[Message], call: ModelCall) -> ToolCall | str:
        if messages[-1].role == "tool":
            return f"Done: {messages[-1].content}"
        return ToolCall("pay", {"amount": 250.0})

    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    agent = Agent(
        model=FunctionModel(model),
        tools=[pay],
        router=Router(image=[BoxedOCR()]),
        checkpointer=store,
    )
    keys = KeyRing((ApiKey.of("app", RUN_KEY, ["run"]), ApiKey.of("alice", REVIEW_KEY, ["review"])))
    with serving(create_app({"payer": agent}, keys=keys)) as url:
        started = httpx.post(
            url + "/v1/threads/t1/runs",
            json={
                "agent": "payer",
                "input": [
                    {"type": "text", "text": "Pay this receipt"},
                    {"type": "image_url", "image_url": {"url": _receipt()}},
                ],
            },
            headers={"Authorization": f"Bearer {RUN_KEY}"},
            timeout=30,
        ).json()
        assert started["status"] == "paused" and paid == []
        page = httpx.get(url + "/review")
        assert page.headers["content-security-policy"] == REVIEW_HEADERS["Content-Security-Policy"]
        assert page.headers["x-frame-options"] == "DENY"

        driver = _browser()
        try:
            driver.set_window_size(375, 900)
            driver.get(url + "/review")
            key = driver.find_element(By.ID, "key")
            key.send_keys(REVIEW_KEY, Keys.ENTER)  # the keyboard alone opens the inbox
            card = _until(
                lambda: driver.find_elements(By.CSS_SELECTOR, "article[data-interruption]"),
                "the pending payment",
            )[0]
            assert "Tool: pay" in card.text and "TOTAL 250.00" in card.text
            assert "holds an argument" in card.text and "Pay this receipt" in card.text
            _until(
                lambda: driver.execute_script(
                    "const i = document.querySelector('figure img');"
                    "return i && i.complete && i.naturalWidth;"
                ),
                "the receipt image",
            )
            assert len(driver.find_elements(By.CSS_SELECTOR, "figure svg polygon")) == 1
            # readable at phone width: nothing wider than the window
            inner, scroll = driver.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth]"
            )
            assert scroll <= inner + 1, (scroll, inner)
            # the first field after the key box has focus: the arguments, editable
            assert driver.execute_script("return document.activeElement.tagName") == "TEXTAREA"
            arguments = driver.find_element(By.CSS_SELECTOR, "article textarea")
            arguments.clear()
            arguments.send_keys('{"amount": 25.0}')
            approve = card.find_element(By.CSS_SELECTOR, "button[data-action=approve]")
            approve.send_keys(Keys.ENTER)  # a focused button answers the keyboard
            status = _until(
                lambda: (
                    "Decided" in driver.find_element(By.ID, "status").text
                    and driver.find_element(By.ID, "status").text
                ),
                "the decision",
            )
            assert "finished" in status and "paid 25.0" in status
            _until(
                lambda: not driver.find_elements(By.CSS_SELECTOR, "article[data-interruption]"),
                "an empty inbox",
            )
            logs = driver.get_log("browser")  # type: ignore[no-untyped-call]
            severe = [entry for entry in logs if entry["level"] == "SEVERE"]
            assert not severe, severe
        finally:
            driver.quit()
    assert paid == [25.0]  # the edited amount, exactly once
    decisions = [e for e in store.audit("t1") if e.action == "decision"]
    assert [(e.actor, e.what["action"], e.what["arguments"]) for e in decisions] == [
        ("reviewer:alice", "edit", {"amount": 25.0})
    ]
