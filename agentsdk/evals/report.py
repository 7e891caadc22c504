"""The HTML report of eval runs: one self-contained file a person can read anywhere.

`write_report("out.html", runs, comparisons=...)` writes a single HTML file with no
external resource at all: the CSS is inline, there is no script, and every image, plot
and sound is embedded as a `data:` URL (a Content-Security-Policy in the page forbids
anything else). At the top: a score per suite (pass rate, passed / scored, infrastructure
errors counted apart, median and p90 seconds, tokens, model, per-check pass rates), a bar
chart of the pass rates when there are several runs, and the comparisons when given: a
table per kind, "Against the baseline" (a run against an earlier one) and "Adapter
against base" (a model with a LoRA adapter against the same model without it), each
with the models compared, the pass rates, their difference and its 95% interval. Then
a section per run: a latency histogram and a table with one row per case: its inputs
(text, image thumbnails, playable audio), the observations of the encoders, the answer,
tool calls, each check with its reason, the time, and the error of an infrastructure
failure (styled apart from a wrong answer). Cases the run compared with passed and that
fail now are highlighted.

A suite may be run twice (on a base model and with an adapter): each run has its own
card and section, named by its model, and shows the comparison whose run it is (matched
by suite and model, else by suite alone).

Every text from cases and answers is escaped. Missing or unreadable media never stop the
report: they show as "(missing: path)". Plots are drawn with matplotlib's object-oriented
API on the Agg canvas (no pyplot, no global figure registry, nothing left open).
"""

from __future__ import annotations

import base64
import html
import io
import json
import mimetypes
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentsdk.evals.runner import Comparison, EvalRun

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["render_report", "write_report"]

THUMBNAIL_PX = 160
"""The long side of an image thumbnail, in pixels."""

MAX_AUDIO_BYTES = 16 * 1024 * 1024
"""Audio files larger than this are named, not embedded (the report stays openable)."""

_AUDIO_TYPES = {
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".webm": "audio/webm",
}

_CSP = (
    "default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

_CSS = """
:root{color-scheme:light;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;
--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--err:#7d4e00;
--err-bg:#fff8c5;--err-line:#d4a72c;--focus:#0969da}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:92rem;padding:1rem;color:var(--ink);background:#fff;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
overflow-wrap:anywhere}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.3rem;margin:2rem 0 .5rem;padding-top:.5rem;border-top:1px solid var(--line)}
h3{font-size:1.1rem;margin:0 0 .3rem}
a{color:var(--focus)}
a:focus-visible,summary:focus-visible,[tabindex]:focus-visible,audio:focus-visible{
outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-9999px;top:0}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
.meta,.muted{color:var(--muted)}
.meta{margin:.2rem 0 1rem}
nav ul{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}
.cards{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,17rem),1fr))}
.card{border:1px solid var(--line);border-radius:.5rem;padding:.8rem 1rem;background:var(--soft)}
.rate{font-size:2.2rem;font-weight:700;line-height:1.1;margin:.2rem 0}
.facts{display:grid;grid-template-columns:auto 1fr;gap:.1rem .8rem;margin:.5rem 0}
.facts dt{color:var(--muted)}
.facts dd{margin:0;font-variant-numeric:tabular-nums}
.checks{list-style:none;padding:0;margin:.5rem 0 0}
.checks li{display:grid;grid-template-columns:minmax(0,1fr) 5rem 3.5rem;gap:.5rem;
align-items:center}
.checks meter{width:100%}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:1rem 0}
img.plot{display:block;max-width:100%;height:auto;border:1px solid var(--line)}
figcaption{color:var(--muted);font-size:.9rem}
.scroll{overflow-x:auto;max-width:100%;border:1px solid var(--line);border-radius:.3rem}
table{border-collapse:collapse;width:100%;overflow-wrap:break-word}
caption{text-align:left;font-weight:600;padding:.4rem .6rem}
th,td{border-top:1px solid var(--line);padding:.45rem .6rem;text-align:left;vertical-align:top}
thead th{background:var(--soft);white-space:nowrap}
table.cases{min-width:64rem}
table.cases td,table.cases th{max-width:24rem}
table.compare{min-width:36rem}
tr.pass>th:first-child{border-left:4px solid var(--pass)}
tr.fail>th:first-child{border-left:4px solid var(--fail)}
tr.error>th:first-child{border-left:4px dashed var(--err-line)}
tr.error{background:#fffdf0}
tr.broken{background:var(--fail-bg)}
tr:target{outline:3px solid var(--focus);outline-offset:-3px}
.badge{display:inline-block;padding:0 .45em;border-radius:1em;font-size:.8rem;
font-weight:600;white-space:nowrap;margin:.15rem .2rem 0 0}
.badge.pass{background:var(--pass-bg);color:#116329}
.badge.fail{background:var(--fail-bg);color:#a40e26}
.badge.error{background:var(--err-bg);color:var(--err);border:1px dashed var(--err-line)}
.badge.broken{background:var(--fail);color:#fff}
.badge.fixed{background:var(--pass);color:#fff}
.up{color:var(--pass);font-weight:600}
.down{color:var(--fail);font-weight:600}
pre,.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;
font:inherit}
pre.code,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.answer{background:var(--soft);padding:.3rem .45rem;border-radius:.25rem}
.error-text{background:var(--err-bg);color:var(--err);border:1px dashed var(--err-line);
padding:.35rem .5rem;border-radius:.25rem}
.error-text strong{display:block}
.media{display:flex;flex-wrap:wrap;gap:.5rem;margin:.4rem 0 0}
.media figure{margin:0}
.media figcaption{font-size:.8rem}
img.thumb{display:block;max-width:100%;height:auto;border:1px solid var(--line);
background:#fff}
audio{display:block;width:16rem;max-width:100%}
.missing{color:var(--fail);font-style:italic}
ul.plain,ol.plain{margin:0;padding-left:1.1rem}
.scores{list-style:none;padding:0;margin:0}
.scores li{margin:0 0 .25rem}
.scores .pass b{color:var(--pass)}
.scores .fail b{color:var(--fail)}
details summary{cursor:pointer;color:var(--muted)}
.label{color:var(--muted);font-size:.85rem}
@media (max-width:40rem){body{padding:.6rem}.rate{font-size:1.8rem}}
@media print{.skip,nav{display:none}.scroll{overflow:visible}}
"""


def render_report(runs: Sequence[EvalRun], *, comparisons: Sequence[Comparison] = ()) -> str:
    """The report of `runs` (and their `comparisons` with a baseline, or of an adapter
    with its base model) as one HTML page."""
    media = _Media()
    matched = _match(runs, comparisons)
    views = [_RunView.of(index, run, matched[index]) for index, run in enumerate(runs)]
    suites = list(dict.fromkeys(v.suite for v in views))
    repeated = {suite for suite in suites if sum(v.suite == suite for v in views) > 1}
    for view in views:
        view.repeated = view.suite in repeated
    title = "Eval report" + (f": {', '.join(suites)}" if suites else "")

    body: list[str] = [
        '<a class="skip" href="#main">Skip to the results</a>',
        "<header>",
        "<h1>Eval report</h1>",
        f'<p class="meta">{_header_line(views)}</p>',
        "</header>",
    ]
    if views:
        links = "".join(f'<li><a href="#{v.anchor}">{_e(v.label)}</a></li>' for v in views)
        body.append(f'<nav aria-label="Suites"><ul>{links}</ul></nav>')
    body.append('<main id="main" tabindex="-1">')
    if not views:
        body.append("<p>No eval runs to report.</p>")
    else:
        body.append(_scores_section(views))
        for kind in ("baseline", "adapter"):
            chosen = [c for c in comparisons if c.kind == kind]
            if chosen:
                body.append(_comparisons_section(chosen, views, kind))
        body.extend(_suite_section(view, media) for view in views)
    body.append("</main>")

    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="generator" content="agentsdk.evals.report">',
            f"<title>{_e(title)}</title>",
            '<link rel="icon" href="data:,">',
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def write_report(
    path: str | Path, runs: Sequence[EvalRun], *, comparisons: Sequence[Comparison] = ()
) -> None:
    """Write `render_report(runs, comparisons=...)` to `path` (UTF-8)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(runs, comparisons=comparisons), encoding="utf-8")


# -- the data of one run ---------------------------------------------------------------


_KINDS: dict[str, dict[str, str]] = {
    "baseline": {
        "title": "Against the baseline",
        "caption": "Baseline against now, per suite",
        "before": "Baseline",
        "now": "Now",
        "card": "Baseline",
        "broken": "regressed: passed in the baseline",
        "fixed": "fixed since the baseline",
    },
    "adapter": {
        "title": "Adapter against base",
        "caption": "The base model against the same model with the adapter, per suite",
        "before": "Base",
        "now": "Adapter",
        "card": "Against base",
        "broken": "regressed: passed on the base model",
        "fixed": "fixed by the adapter",
    },
}
"""The words of each kind of comparison."""


def _match(runs: Sequence[EvalRun], comparisons: Sequence[Comparison]) -> list[Comparison | None]:
    """The comparison of each run (the run on its "now" side): the one of its suite and
    model, else one of its suite that names no run's model (a comparison made without
    models, or of runs not in the report)."""
    keys = {(run.suite, run.model) for run in runs}
    exact = {(c.suite, c.model): c for c in comparisons if (c.suite, c.model) in keys}
    loose: dict[str, Comparison] = {}
    for c in comparisons:
        if (c.suite, c.model) not in keys:
            loose.setdefault(c.suite, c)
    return [exact.get((run.suite, run.model)) or loose.get(run.suite) for run in runs]


@dataclass(slots=True)
class _RunView:
    """One run as the report shows it: `EvalRun.to_dict()` plus anchors and a baseline."""

    index: int
    run: EvalRun
    data: dict[str, Any]
    comparison: Comparison | None
    rows: dict[str, str] = field(default_factory=dict)
    """Case id -> the anchor of its row."""
    repeated: bool = False
    """Whether the report has another run of the same suite (the model tells them apart)."""

    @classmethod
    def of(cls, index: int, run: EvalRun, comparison: Comparison | None) -> _RunView:
        data = run.to_dict()
        view = cls(index, run, data, comparison)
        for number, item in enumerate(view.results):
            view.rows.setdefault(str(item["case"]["id"]), view.row_anchor(number))
        return view

    @property
    def suite(self) -> str:
        return str(self.data["suite"])

    @property
    def model(self) -> str:
        return str(self.data.get("model") or "")

    @property
    def label(self) -> str:
        return f"{self.suite} ({self.model})" if self.model else self.suite

    @property
    def heading(self) -> str:
        """The suite's name, with the model when another run of the suite is shown."""
        return self.label if self.repeated else self.suite

    @property
    def anchor(self) -> str:
        return f"suite-{self.index + 1}"

    def row_anchor(self, number: int) -> str:
        return f"{self.anchor}-case-{number + 1}"

    @property
    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = self.data["summary"]
        return summary

    @property
    def results(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.data["results"]
        return results

    @property
    def scored_seconds(self) -> list[float]:
        return [float(r["seconds"]) for r in self.results if r.get("error") is None]


# -- the scores at the top -------------------------------------------------------------


def _header_line(views: Sequence[_RunView]) -> str:
    if not views:
        return "No runs."
    cases = sum(int(v.summary["cases"]) for v in views)
    started = [float(v.data.get("started") or 0) for v in views]
    suites = len({v.suite for v in views})
    parts = [_count(suites, "suite")]
    if len(views) > suites:  # a suite run twice: on a base model and with an adapter
        parts.append(_count(len(views), "run"))
    parts.append(_count(cases, "case"))
    if any(started):
        when = datetime.fromtimestamp(min(s for s in started if s), tz=UTC)
        parts.append(f"started {when:%Y-%m-%d %H:%M} UTC")
    return " · ".join(_e(p) for p in parts)


def _scores_section(views: Sequence[_RunView]) -> str:
    cards = "\n".join(_card(v) for v in views)
    out = [
        '<section aria-labelledby="scores">',
        '<h2 id="scores">Scores</h2>',
        f'<div class="cards">{cards}</div>',
    ]
    if len(views) > 1:
        out.append(_pass_rate_chart(views))
    out.append("</section>")
    return "\n".join(out)


def _card(view: _RunView) -> str:
    s = view.summary
    errors = int(s["errors"])
    facts = [
        ("Passed", f"{int(s['passed'])} / {int(s['scored'])} scored"),
        (
            "Infrastructure errors",
            f"{errors} (not scored)" if errors else "none",
        ),
        ("Median", _seconds(s.get("median_seconds"))),
        ("p90", _seconds(s.get("p90_seconds"))),
        ("Tokens", f"{int(s['input_tokens']):,} in · {int(s['output_tokens']):,} out"),
        ("Mean score", f"{float(s['mean_score']):.3f}"),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    if view.comparison is not None:
        c = view.comparison
        words = _KINDS[c.kind]
        against = f" ({_e(c.baseline_model)})" if c.kind == "adapter" and c.baseline_model else ""
        items += (
            f"<dt>{words['card']}{against}</dt>"
            f"<dd>{_pct(c.baseline)} → {_pct(c.pass_rate)} {_delta(c.delta)}"
            f"{_interval(c.ci95, brief=True)}</dd>"
        )
    model = (
        f'<p class="muted">model: {_e(view.model)}</p>'
        if view.model
        else '<p class="muted">model: (not named)</p>'
    )
    checks: Mapping[str, float] = s.get("checks") or {}
    check_items = "".join(
        f"<li><span>{_e(name)}</span>"
        f'<meter min="0" max="1" value="{float(rate):.4f}" '
        f'aria-label="{_e(name)} pass rate">{_pct(float(rate))}</meter>'
        f'<span class="num">{_pct(float(rate))}</span></li>'
        for name, rate in checks.items()
    )
    checks_html = (
        f'<details open><summary>Checks ({len(checks)})</summary><ul class="checks">'
        f"{check_items}</ul></details>"
        if checks
        else '<p class="muted">No checks scored.</p>'
    )
    return (
        f'<article class="card" aria-labelledby="{view.anchor}-card">'
        f'<h3 id="{view.anchor}-card"><a href="#{view.anchor}">{_e(view.heading)}</a></h3>'
        f"{model}"
        f'<p class="rate">{_pct(float(s["pass_rate"]))}</p>'
        f'<dl class="facts">{items}</dl>'
        f"{checks_html}"
        "</article>"
    )


def _comparisons_section(
    comparisons: Sequence[Comparison], views: Sequence[_RunView], kind: str
) -> str:
    """The table of one kind of comparisons ("baseline" or "adapter")."""
    words = _KINDS[kind]
    rows_of: dict[tuple[str, str], dict[str, str]] = {}
    for view in reversed(views):  # the first run of a suite wins
        rows_of[(view.suite, view.model)] = view.rows
        rows_of[(view.suite, "")] = view.rows
    intervals = any(c.ci95 is not None for c in comparisons)
    body = []
    for c in comparisons:
        rows = rows_of.get((c.suite, c.model)) or rows_of.get((c.suite, ""), {})
        models = (
            f'<div class="label">{_e(c.baseline_model or "?")} → {_e(c.model or "?")}</div>'
            if c.model or c.baseline_model
            else ""
        )
        ci = f'<td class="num">{_interval(c.ci95)}</td>' if intervals else ""
        body.append(
            "<tr>"
            f'<th scope="row">{_e(c.suite)}{models}</th>'
            f'<td class="num">{_pct(c.baseline)}</td>'
            f'<td class="num">{_pct(c.pass_rate)}</td>'
            f'<td class="num">{_delta(c.delta)}</td>'
            f"{ci}"
            f"<td>{_case_links(c.broken, rows)}</td>"
            f"<td>{_case_links(c.fixed, rows)}</td>"
            "</tr>"
        )
    ci_head = '<th scope="col" class="num">95% interval</th>' if intervals else ""
    note = "Pass rates over the cases both runs scored."
    if intervals:
        note += (
            " The interval is a 95% confidence interval for the difference of the two pass "
            "rates over the same cases (Newcombe's interval for paired data); one that "
            "includes 0 does not tell the two apart."
        )
    return "\n".join(
        [
            f'<section aria-labelledby="{kind}">',
            f'<h2 id="{kind}">{_e(words["title"])}</h2>',
            f'<p class="meta">{_e(note)}</p>',
            f'<div class="scroll" role="region" aria-labelledby="{kind}-caption" tabindex="0">',
            '<table class="compare">',
            f'<caption id="{kind}-caption">{_e(words["caption"])}</caption>',
            "<thead><tr>"
            f'<th scope="col">Suite</th><th scope="col" class="num">{_e(words["before"])}</th>'
            f'<th scope="col" class="num">{_e(words["now"])}</th>'
            f'<th scope="col" class="num">Delta</th>{ci_head}'
            '<th scope="col">Now failing</th>'
            '<th scope="col">Now passing</th>'
            "</tr></thead>",
            "<tbody>",
            *body,
            "</tbody></table></div>",
            "</section>",
        ]
    )


def _interval(ci95: tuple[float, float] | None, *, brief: bool = False) -> str:
    """A 95% interval of a difference of pass rates, in percentage points."""
    if ci95 is None:
        return "" if brief else '<span class="muted">—</span>'
    low, high = (100 * bound for bound in ci95)
    text = f"{low:+.1f} to {high:+.1f} pp"
    if brief:
        return f' <span class="label">(95% interval {text})</span>'
    return text


def _case_links(ids: Sequence[str], rows: Mapping[str, str]) -> str:
    if not ids:
        return '<span class="muted">none</span>'
    links = [
        f'<a href="#{rows[i]}"><code>{_e(i)}</code></a>' if i in rows else f"<code>{_e(i)}</code>"
        for i in ids
    ]
    return f"{len(ids)}: " + ", ".join(links)


# -- a suite ---------------------------------------------------------------------------


def _suite_section(view: _RunView, media: _Media) -> str:
    data = view.data
    meta = [_count(int(view.summary["cases"]), "case")]
    if view.model:
        meta.append(f"model {view.model}")
    if float(data.get("seconds") or 0):
        meta.append(f"{float(data['seconds']):.1f} s in all")
    if data.get("started"):
        when = datetime.fromtimestamp(float(data["started"]), tz=UTC)
        meta.append(f"started {when:%Y-%m-%d %H:%M:%S} UTC")
    if data.get("root"):
        meta.append(f"media under {data['root']}")
    broken = set(view.comparison.broken) if view.comparison else set()
    fixed = set(view.comparison.fixed) if view.comparison else set()
    words = _KINDS[view.comparison.kind if view.comparison else "baseline"]
    rows = "\n".join(
        _case_row(view, number, item, media, broken=broken, fixed=fixed, words=words)
        for number, item in enumerate(view.results)
    )
    caption = f"{view.anchor}-caption"
    return "\n".join(
        [
            f'<section id="{view.anchor}" aria-labelledby="{view.anchor}-title">',
            f'<h2 id="{view.anchor}-title">Suite {_e(view.heading)}</h2>',
            f'<p class="meta">{" · ".join(_e(m) for m in meta)}</p>',
            _latency_figure(view),
            f'<div class="scroll" role="region" aria-labelledby="{caption}" tabindex="0">',
            '<table class="cases">',
            f'<caption id="{caption}">Cases of {_e(view.heading)}: '
            f"{int(view.summary['passed'])} passed, "
            f"{int(view.summary['scored']) - int(view.summary['passed'])} failed, "
            f"{_count(int(view.summary['errors']), 'infrastructure error')}</caption>",
            "<thead><tr>"
            '<th scope="col">Case</th><th scope="col">Input</th>'
            '<th scope="col">Observations</th><th scope="col">Answer</th>'
            '<th scope="col">Tool calls</th><th scope="col">Checks</th>'
            '<th scope="col">Time</th>'
            "</tr></thead>",
            "<tbody>",
            rows,
            "</tbody></table></div>",
            "</section>",
        ]
    )


def _case_row(
    view: _RunView,
    number: int,
    item: Mapping[str, Any],
    media: _Media,
    *,
    broken: set[str],
    fixed: set[str],
    words: Mapping[str, str],
) -> str:
    case: Mapping[str, Any] = item["case"]
    case_id = str(case["id"])
    error = item.get("error")
    if error is not None:
        status, badge = "error", '<span class="badge error">⚠ error (not scored)</span>'
    elif item.get("passed"):
        status, badge = "pass", '<span class="badge pass">✓ pass</span>'
    else:
        status, badge = "fail", '<span class="badge fail">✗ fail</span>'
    classes = [status]
    if case_id in broken:
        classes.append("broken")
        badge += f'<span class="badge broken">{_e(words["broken"])}</span>'
    if case_id in fixed:
        badge += f'<span class="badge fixed">{_e(words["fixed"])}</span>'
    metadata: Mapping[str, Any] = case.get("metadata") or {}
    meta_html = "".join(
        f'<div class="label">{_e(k)}: {_e(_plain(v))}</div>' for k, v in metadata.items()
    )
    root = Path(view.run.root)
    cells = [
        f'<th scope="row"><code>{_e(case_id)}</code><br>{badge}{meta_html}</th>',
        f"<td>{_inputs(case, root, media)}</td>",
        f"<td>{_details(item.get('details') or {})}</td>",
        f"<td>{_answer(item)}</td>",
        f"<td>{_tool_calls(item)}</td>",
        f"<td>{_scores(item)}</td>",
        f'<td class="num">{_time(item)}</td>',
    ]
    row = f'<tr id="{view.row_anchor(number)}" class="{" ".join(classes)}">'
    return f"{row}{''.join(cells)}</tr>"


def _inputs(case: Mapping[str, Any], root: Path, media: _Media) -> str:
    out = []
    text = str(case.get("text") or "")
    if text:
        out.append(f'<p class="text">{_e(text)}</p>')
    figures = [media.image(root, str(p)) for p in case.get("images") or ()]
    figures += [media.audio(root, str(p)) for p in case.get("audio") or ()]
    if figures:
        out.append(f'<div class="media">{"".join(figures)}</div>')
    return "".join(out) or '<span class="muted">(no input)</span>'


def _details(details: Mapping[str, Any]) -> str:
    out = []
    observations = details.get("observations")
    listed = isinstance(observations, Sequence) and not isinstance(observations, str)
    if listed and observations:
        items = "".join(_observation(obs) for obs in observations)
        out.append(f'<ul class="plain">{items}</ul>')
    for key, value in details.items():
        if key == "observations" and listed:
            continue
        if isinstance(value, str):
            out.append(
                f'<div><span class="label">{_e(key)}</span><p class="text">{_e(value)}</p></div>'
            )
        else:
            out.append(
                f"<details><summary>{_e(key)}</summary>"
                f'<pre class="code">{_e(_plain(value))}</pre></details>'
            )
    return "".join(out) or '<span class="muted">—</span>'


def _observation(obs: object) -> str:
    """One observation of an encoder: {"encoder", "text", "confidence"}."""
    if not isinstance(obs, Mapping):
        return f"<li>{_e(_plain(obs))}</li>"
    encoder = str(obs.get("encoder") or "")
    confidence = obs.get("confidence")
    conf = (
        f' <span class="label">(confidence {float(confidence):.2f})</span>'
        if isinstance(confidence, int | float) and not isinstance(confidence, bool)
        else ""
    )
    label = f'<span class="label">{_e(encoder)}:</span> ' if encoder else ""
    return f"<li>{label}{_e(str(obs.get('text') or ''))}{conf}</li>"


def _answer(item: Mapping[str, Any]) -> str:
    out = []
    error = item.get("error")
    if error is not None:
        out.append(
            '<div class="error-text" role="note"><strong>Infrastructure error '
            "(a crash or a timeout, not a wrong answer)</strong>"
            f'<pre class="code">{_e(str(error))}</pre></div>'
        )
    answer = str(item.get("answer") or "")
    if answer:
        out.append(f'<pre class="answer">{_e(answer)}</pre>')
    elif error is None:
        out.append('<span class="muted">(empty answer)</span>')
    if item.get("paused"):
        out.append('<div class="label">paused for a person</div>')
    return "".join(out)


def _tool_calls(item: Mapping[str, Any]) -> str:
    calls = []
    for call in item.get("tool_calls") or ():
        function = call.get("function") or {}
        name = str(function.get("name") or "?")
        arguments = json.dumps(function.get("arguments") or {}, ensure_ascii=False, default=str)
        text = f"<code>{_e(name)}({_e(arguments)})</code>"
        if call.get("malformed"):
            text += f' <span class="missing">malformed: {_e(str(call["malformed"]))}</span>'
        calls.append(f"<li>{text}</li>")
    out = [f'<ol class="plain">{"".join(calls)}</ol>'] if calls else []
    executed = [str(name) for name in item.get("executed") or ()]
    if executed:
        out.append(f'<div class="label">ran: {_e(", ".join(executed))}</div>')
    return "".join(out) or '<span class="muted">none</span>'


def _scores(item: Mapping[str, Any]) -> str:
    scores = item.get("scores") or ()
    if not scores:
        return '<span class="muted">not scored</span>' if item.get("error") is not None else "—"
    rows = []
    for score in scores:
        passed = bool(score.get("passed"))
        mark = "✓" if passed else "✗"
        rows.append(
            f'<li class="{"pass" if passed else "fail"}"><b>{mark} {_e(str(score["name"]))}</b> '
            f'<span class="label">{float(score.get("value", 0.0)):.2f}</span> '
            f"{_e(str(score.get('reason') or ''))}</li>"
        )
    expected: Mapping[str, Any] = item["case"].get("expected") or {}
    wanted = (
        f'<details><summary>expected</summary><pre class="code">{_e(_plain(expected))}</pre>'
        "</details>"
        if expected
        else ""
    )
    return f'<ul class="scores">{"".join(rows)}</ul>{wanted}'


def _time(item: Mapping[str, Any]) -> str:
    out = _e(_seconds(item.get("seconds")))
    usage: Mapping[str, Any] = item.get("usage") or {}
    tokens_in, tokens_out = (
        int(usage.get("input_tokens") or 0),
        int(usage.get("output_tokens") or 0),
    )
    if tokens_in or tokens_out:
        out += f'<div class="label">{tokens_in:,} → {tokens_out:,} tokens</div>'
    return out


# -- media -----------------------------------------------------------------------------


class _Media:
    """Images and sounds of the cases as embedded HTML, each file read once per report."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], str] = {}

    def image(self, root: Path, path: str) -> str:
        key = ("image", str(root / path))
        if key not in self._cache:
            self._cache[key] = self._image(root / path, path)
        return self._cache[key]

    def audio(self, root: Path, path: str) -> str:
        key = ("audio", str(root / path))
        if key not in self._cache:
            self._cache[key] = self._audio(root / path, path)
        return self._cache[key]

    @staticmethod
    def _image(full: Path, path: str) -> str:
        if not full.is_file():
            return _missing(path)
        try:
            data, mime, width, height = _thumbnail(full)
        except Exception as exc:  # an unreadable image never stops the report
            return f'<span class="missing">(unreadable image: {_e(path)}: {_e(exc)})</span>'
        return (
            f'<figure><img class="thumb" src="data:{mime};base64,{data}" '
            f'width="{width}" height="{height}" alt="{_e(f"image {path}")}">'
            f"<figcaption>{_e(Path(path).name)}</figcaption></figure>"
        )

    @staticmethod
    def _audio(full: Path, path: str) -> str:
        if not full.is_file():
            return _missing(path)
        try:
            size = full.stat().st_size
            if size > MAX_AUDIO_BYTES:
                return (
                    f'<span class="missing">(not embedded: {_e(path)}, '
                    f"{size / 1024 / 1024:.1f} MiB)</span>"
                )
            data = base64.b64encode(full.read_bytes()).decode("ascii")
        except OSError as exc:
            return f'<span class="missing">(unreadable audio: {_e(path)}: {_e(exc)})</span>'
        mime = _AUDIO_TYPES.get(full.suffix.lower()) or (
            mimetypes.guess_type(full.name)[0] or "application/octet-stream"
        )
        return (
            f'<figure><audio controls preload="metadata" aria-label="{_e(f"audio {path}")}" '
            f'src="data:{mime};base64,{data}">(audio: {_e(path)})</audio>'
            f"<figcaption>{_e(Path(path).name)}</figcaption></figure>"
        )


def _missing(path: str) -> str:
    return f'<span class="missing">(missing: {_e(path)})</span>'


def _thumbnail(path: Path) -> tuple[str, str, int, int]:
    """The image at `path`, validated and upright like any input (`agentsdk.media.Image`),
    at most THUMBNAIL_PX on its long side: base64 data, MIME type, width, height."""
    from agentsdk.media import Image

    thumb = Image(path).resized(THUMBNAIL_PX)
    data, mime = thumb.encoded()
    width, height = thumb.size
    return base64.b64encode(data).decode("ascii"), mime, width, height


# -- plots -----------------------------------------------------------------------------


def _latency_figure(view: _RunView) -> str:
    seconds = view.scored_seconds
    if not seconds:
        return '<p class="muted">No scored case, so no latency plot.</p>'
    median = statistics.median(seconds)
    p90 = view.summary.get("p90_seconds")
    p90_value = float(p90) if p90 is not None else max(seconds)

    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 2.6), dpi=150, layout="constrained")
    axes = figure.subplots()
    axes.hist(seconds, bins=min(30, max(5, len(seconds))), color="#4c72b0", edgecolor="white")
    axes.axvline(median, color="#1a7f37", linestyle="-", label=f"median {median:.2f} s")
    axes.axvline(p90_value, color="#cf222e", linestyle="--", label=f"p90 {p90_value:.2f} s")
    axes.set_xlim(left=0)
    axes.set_xlabel("seconds per case")
    axes.set_ylabel("cases")
    axes.set_title(f"Latency: {view.label}", fontsize=10)
    axes.legend(fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    png, width, height = _png(figure)
    alt = (
        f"Histogram of the seconds per case of suite {view.label}: {len(seconds)} scored "
        f"cases, median {median:.2f} s, p90 {p90_value:.2f} s, "
        f"slowest {max(seconds):.2f} s."
    )
    return (
        f'<figure><img class="plot" src="data:image/png;base64,{png}" width="{width}" '
        f'height="{height}" alt="{_e(alt)}">'
        f"<figcaption>Latency of the {len(seconds)} scored cases "
        "(infrastructure errors left out).</figcaption></figure>"
    )


def _pass_rate_chart(views: Sequence[_RunView]) -> str:
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    labels = [v.label for v in views]
    rates = [float(v.summary["pass_rate"]) for v in views]
    figure = Figure(figsize=(6.4, 0.9 + 0.45 * len(views)), dpi=150, layout="constrained")
    axes = figure.subplots()
    positions = list(range(len(views)))
    axes.barh(positions, rates, color="#4c72b0", height=0.6, label="now")
    baselines = [
        (i, v.comparison.baseline)
        for i, v in enumerate(views)
        if v.comparison and v.comparison.kind == "baseline"
    ]
    if baselines:
        axes.scatter(
            [b for _, b in baselines],
            [i for i, _ in baselines],
            marker="|",
            s=400,
            color="#1f2328",
            zorder=3,
            label="baseline",
        )
        axes.legend(
            fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2
        )
    for position, rate in zip(positions, rates, strict=True):
        axes.text(min(rate, 1.0) + 0.01, position, f"{rate:.1%}", va="center", fontsize=8)
    axes.set_yticks(positions, labels=[_short(label) for label in labels], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 1.12)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel("pass rate (infrastructure errors left out)")
    axes.spines[["top", "right"]].set_visible(False)
    png, width, height = _png(figure)
    alt = "Pass rate per suite: " + "; ".join(
        f"{label} {rate:.1%}" for label, rate in zip(labels, rates, strict=True)
    )
    return (
        f'<figure><img class="plot" src="data:image/png;base64,{png}" width="{width}" '
        f'height="{height}" alt="{_e(alt)}">'
        "<figcaption>Pass rate per suite.</figcaption></figure>"
    )


def _png(figure: Figure) -> tuple[str, int, int]:
    """The figure as a base64 PNG and its size in CSS pixels; the figure is cleared."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    try:
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        width_in, height_in = figure.get_size_inches()
    finally:
        figure.clear()  # no pyplot registry holds it; clearing frees the artists now
    return (
        base64.b64encode(buffer.getvalue()).decode("ascii"),
        round(width_in * 100),
        round(height_in * 100),
    )


# -- text ------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _plain(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _short(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _delta(delta: float) -> str:
    points = delta * 100
    if abs(points) < 0.05:
        return '<span class="muted">±0.0 pp</span>'
    kind, word = ("up", "better") if points > 0 else ("down", "worse")
    return f'<span class="{kind}">{points:+.1f} pp <span class="label">({word})</span></span>'


def _seconds(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):.2f} s"
