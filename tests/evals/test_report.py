"""The HTML report: self-contained, escaped, media embedded, baseline shown; and a real
headless browser (Debian's chromium through selenium) renders it without errors."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from agentsdk.evals import Case, EvalRun, Outcome
from agentsdk.evals.evaluators import Score
from agentsdk.evals.report import render_report, write_report
from agentsdk.evals.runner import CaseResult, Comparison
from agentsdk.messages import ToolCall
from agentsdk.models.base import Usage

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
XSS = "<script>alert(1)</script>"
TITLE = "Eval report: vision, audio"


def _media(root: Path) -> None:
    (root / "images").mkdir(parents=True)
    pixels = np.zeros((300, 480, 3), dtype=np.uint8)
    pixels[..., 0] = np.linspace(0, 255, 480, dtype=np.uint8)
    pixels[100:200, 150:330] = (20, 200, 40)
    Image.fromarray(pixels).save(root / "images" / "receipt.png")
    (root / "sounds").mkdir()
    t = np.arange(4000) / 16000
    sf.write(root / "sounds" / "beep.wav", 0.2 * np.sin(2 * np.pi * 440 * t), 16000)


def _runs(root: Path) -> tuple[list[EvalRun], list[Comparison]]:
    _media(root)
    seen = Case(
        "seen-1",
        "What is on the receipt?",
        images=("images/receipt.png",),
        audio=("sounds/beep.wav",),
        expected={"contains": "coffee"},
        metadata={"kind": "receipt"},
    )
    wrong = Case("wrong-2", "What is the total?", expected={"number": 42})
    crash = Case("crash-3", "Hello", expected={"contains": "hi"})
    xss = Case("xss-4", "Say <b>hi</b> & leave", expected={"contains": "alert"})
    gone = Case(
        "gone-5",
        "Describe it",
        images=("images/nope.png",),
        audio=("sounds/nope.wav",),
        expected={"contains": "x"},
    )
    observed = Outcome(
        text="One coffee, 3.50.",
        tool_calls=(ToolCall("lookup_price", {"item": "coffee"}),),
        executed=("lookup_price",),
        usage=Usage(120, 12),
        details={
            "observations": [
                {"encoder": "ocr", "text": "COFFEE 3.50", "confidence": 0.93},
                {"encoder": "whisper", "text": "beep", "confidence": None},
            ]
        },
    )
    vision = EvalRun(
        "vision",
        [
            CaseResult(seen, [Score("contains", 1.0, True, "all present")], observed, 0.4),
            CaseResult(
                wrong,
                [Score("number", 0.0, False, "expected 42; found 41")],
                Outcome(text="It is 41.", usage=Usage(50, 5)),
                0.9,
            ),
            CaseResult(crash, seconds=1.5, error="RuntimeError: the server fell over"),
            CaseResult(xss, [Score("contains", 1.0, True, "all present")], Outcome(text=XSS), 0.2),
            CaseResult(
                gone, [Score("contains", 0.0, False, "missing ['x']")], Outcome(text="?"), 0.3
            ),
        ],
        model="tiny-vlm",
        started=1_750_000_000.0,
        seconds=3.3,
        root=str(root),
    )
    audio = EvalRun(
        "audio",
        [
            CaseResult(
                Case("a-1", audio=("sounds/beep.wav",), expected={"transcript": "beep"}),
                [Score("transcript", 1.0, True, "WER 0.000 (limit 0.1)")],
                Outcome(text="beep", details={"transcript": "beep"}),
                0.1,
            )
        ],
        model="tiny-asr",
        root=str(root),
    )
    comparison = Comparison(
        "vision", pass_rate=0.5, baseline=0.75, fixed=("xss-4",), broken=("wrong-2",)
    )
    return [vision, audio], [comparison]


def test_the_report_is_self_contained_escaped_and_complete(tmp_path: Path) -> None:
    runs, comparisons = _runs(tmp_path)
    page = render_report(runs, comparisons=comparisons)

    assert page.startswith("<!doctype html>")
    assert '<html lang="en">' in page and '<meta charset="utf-8">' in page
    assert f"<title>{TITLE}</title>" in page
    # self-contained: no URL of any kind, no script, no external stylesheet
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and '<link rel="stylesheet"' not in page
    assert "<style>" in page
    # case text and answers are escaped
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Say &lt;b&gt;hi&lt;/b&gt; &amp; leave" in page
    # media embedded: image thumbnails, plots, audio; missing files named
    assert "data:image/png;base64," in page
    assert page.count("<audio controls") == 2  # the same file in two suites
    assert "data:audio/wav;base64," in page
    assert "(missing: images/nope.png)" in page and "(missing: sounds/nope.wav)" in page
    # observations, tool calls, reasons, the infrastructure error styled apart
    assert "COFFEE 3.50" in page and "confidence 0.93" in page
    assert "lookup_price(" in page and "ran: lookup_price" in page
    assert "expected 42; found 41" in page
    assert "RuntimeError: the server fell over" in page
    assert re.search(r'<tr id="suite-1-case-3" class="error">', page)
    assert 'class="error-text"' in page
    # scores at the top: pass rate over scored cases (2 of 4), errors apart, tokens
    assert "50.0%" in page and "2 / 4 scored" in page and "1 (not scored)" in page
    assert "170 in · 17 out" in page
    assert "tiny-vlm" in page and "tiny-asr" in page
    # the baseline: rates, delta, cases now failing (highlighted) and now passing
    assert "75.0% → 50.0%" in page and "-25.0 pp" in page
    assert re.search(r'<tr id="suite-1-case-2" class="fail broken">', page)
    assert '<a href="#suite-1-case-2"><code>wrong-2</code></a>' in page
    assert '<a href="#suite-1-case-4"><code>xss-4</code></a>' in page
    # plots: a latency histogram per suite, a pass-rate chart for several suites
    assert page.count('alt="Histogram of the seconds per case') == 2
    assert 'alt="Pass rate per suite: vision (tiny-vlm) 50.0%; audio (tiny-asr) 100.0%"' in page


def test_thumbnails_are_small_pngs(tmp_path: Path) -> None:
    runs, _ = _runs(tmp_path)
    page = render_report(runs[:1])
    thumbs = re.findall(r'<img class="thumb" src="data:image/png;base64,([^"]+)"', page)
    assert len(thumbs) == 1
    with Image.open(io.BytesIO(base64.b64decode(thumbs[0]))) as image:
        assert image.format == "PNG" and image.size == (160, 100)
    # one suite: a latency plot but no pass-rate chart
    assert 'alt="Pass rate per suite' not in page
    assert page.count('<img class="plot"') == 1


def test_empty_and_error_only_runs_render(tmp_path: Path) -> None:
    empty = render_report([])
    assert "<title>Eval report</title>" in empty and "No eval runs" in empty
    broken = EvalRun("down", [CaseResult(Case("c", expected={"exact": "x"}), error="timed out")])
    page = render_report([broken])
    assert "No scored case, so no latency plot." in page and "timed out" in page


@pytest.mark.browser
def test_a_real_browser_renders_the_report(tmp_path: Path) -> None:
    if not Path(CHROMEDRIVER).is_file() or not Path(CHROMIUM).is_file():
        pytest.fail(
            f"{CHROMEDRIVER} or {CHROMIUM} is missing: install Debian's chromium and "
            "chromium-driver (apt-get install -y chromium chromium-driver)"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
    except ImportError as exc:  # a dev dependency, never skipped silently
        pytest.fail(f"selenium is not installed ({exc}): pip install selenium")

    runs, comparisons = _runs(tmp_path / "data")
    report = tmp_path / "out" / "report.html"
    write_report(report, runs, comparisons=comparisons)

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=375,800")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_window_size(375, 800)
        driver.get(report.as_uri())
        assert driver.title == TITLE
        loaded = driver.execute_script(
            "return [...document.images].map(i => i.complete && i.naturalWidth)"
        )
        assert len(loaded) == 4 and all(width > 0 for width in loaded), loaded
        assert len(driver.find_elements(By.TAG_NAME, "audio")) == 2
        assert driver.execute_script("return document.scripts.length") == 0
        assert driver.find_element(By.CSS_SELECTOR, "#suite-1-case-4 pre.answer").text == XSS
        # a phone-width window: the tables scroll in their own box, the page does not
        inner, scroll = driver.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]"
        )
        assert inner <= 400, inner
        assert scroll <= inner + 1, (scroll, inner)
        # keyboard: the first Tab reaches the skip link
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        assert driver.execute_script("return document.activeElement.className") == "skip"
        logs = driver.get_log("browser")  # type: ignore[no-untyped-call]
        severe = [e for e in logs if e["level"] == "SEVERE"]
        assert not severe, severe
    finally:
        driver.quit()


def _two_runs() -> tuple[list[EvalRun], list[Comparison]]:
    """One suite on a base model and with an adapter, and an earlier base run."""
    from agentsdk.evals import compare

    cases = [Case(f"t{i}", f"question {i}", expected={"contains": "yes"}) for i in range(4)]

    def run(model: str, passing: set[int]) -> EvalRun:
        results = [
            CaseResult(
                case,
                [Score("contains", float(i in passing), i in passing, "")],
                Outcome(text="yes" if i in passing else "no"),
                0.1,
            )
            for i, case in enumerate(cases)
        ]
        return EvalRun("turns", results, model=model)

    base, adapted, earlier = run("tiny", {0, 1}), run("tiny+paris", {0, 2, 3}), run("tiny", {0})
    return [base, adapted], [compare(base, earlier), compare(adapted, base, kind="adapter")]


def test_an_adapter_and_its_base_each_show_their_own_comparison() -> None:
    runs, comparisons = _two_runs()
    page = render_report(runs, comparisons=comparisons)
    # both runs of the suite, told apart by their model
    assert '<h2 id="suite-1-title">Suite turns (tiny)</h2>' in page
    assert '<h2 id="suite-2-title">Suite turns (tiny+paris)</h2>' in page
    assert '<a href="#suite-2">turns (tiny+paris)</a>' in page
    assert "1 suite · 2 runs · 8 cases" in page
    # a table per kind of comparison, each titled for what it compares
    assert '<h2 id="baseline">Against the baseline</h2>' in page
    assert '<h2 id="adapter">Adapter against base</h2>' in page
    assert '<th scope="col" class="num">Base</th><th scope="col" class="num">Adapter</th>' in page
    assert "tiny → tiny+paris" in page
    assert '<th scope="col" class="num">95% interval</th>' in page
    low, high = comparisons[1].ci95 or (0.0, 0.0)
    assert f"{100 * low:+.1f} to {100 * high:+.1f} pp" in page
    # each card shows the comparison whose run it is: the base its baseline, the adapter its base
    base_card, adapter_card = page.split('<article class="card"')[1:3]
    assert "<dt>Baseline</dt><dd>25.0% → 50.0%" in base_card and "Against base" not in base_card
    assert "<dt>Against base (tiny)</dt><dd>50.0% → 75.0%" in adapter_card
    assert "95% interval" in adapter_card
    # cases are marked against the run compared with, linked in the adapter's own rows
    assert re.search(r'<tr id="suite-2-case-2" class="fail broken">', page)
    assert "regressed: passed on the base model" in page and "fixed by the adapter" in page
    assert '<a href="#suite-2-case-2"><code>t1</code></a>' in page
    assert '<a href="#suite-1-case-2"><code>t1</code></a>' in page  # fixed since the baseline
    assert "<script" not in page and "https://" not in page


def test_comparisons_without_models_still_match_by_suite() -> None:
    runs, _ = _two_runs()
    old = Comparison("turns", pass_rate=0.5, baseline=0.75, fixed=(), broken=("t2",))
    page = render_report(runs[:1], comparisons=[old])
    assert "<dt>Baseline</dt><dd>75.0% → 50.0%" in page
    assert "95% interval" not in page and "Adapter against base" not in page
    assert re.search(r'<tr id="suite-1-case-3" class="fail broken">', page)
