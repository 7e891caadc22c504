"""Extractive replies: spans, ranking, templates and filling, with a scripted reader."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from agentsdk.models import extractive as x
from agentsdk.models.extractive import Span, Template

LINES = [
    "HARBOUR HARDWARE",
    "Date: 14 Feb 2031 Time 10:15",
    "Ladder 7.40",
    "Paint tin 12.05",
    "Brush set 3.30",
    "TOTAL 22.75",
]


class BagOfWords:
    """A reader whose embedding is a normalised bag of words (lexical cosine), and whose
    likelihoods come from a function of the continuation."""

    def __init__(self, likelihood: Callable[[str, str], float] | None = None) -> None:
        self.likelihood = likelihood or (lambda prompt, text: 0.0)
        self.prompts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vocabulary: dict[str, int] = {}
        bags = [re.findall(r"[a-z]+", t.lower()) for t in texts]
        for bag in bags:
            for word in bag:
                vocabulary.setdefault(word, len(vocabulary))
        rows = np.zeros((len(texts), max(1, len(vocabulary))))
        for row, bag in enumerate(bags):
            for word in bag:
                rows[row, vocabulary[word]] += 1
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1, norms)

    def likelihoods(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        self.prompts.append(prompt)
        return [self.likelihood(prompt, c) for c in continuations]

    def chat_prompt(self, user: str) -> str:
        return f"<user>{user}</user>"


CALC = "calc"
READ = Template(CALC, {"expression": "{value}"}, ("How much is the lamp?",), reads=True)
ADD = Template(
    CALC, {"expression": "{value} + {value}"}, ("What do a cup and a plate cost together?",)
)
SPLIT = Template(CALC, {"expression": "{value} / {count}"}, ("Divide the bill among friends.",))
ALL = Template(CALC, {"expression": "{values: + }"}, ("Add up every price on the list.",))


def test_source_lines_leave_out_the_request_fences_and_repeats() -> None:
    evidence = ("What is the total?", "A 1\nB 2\n\nA 1", "<<<section 1>>>\nC 3")
    assert x.source_lines(evidence, ("What is the total?",)) == ["A 1", "B 2", "C 3"]


def test_source_lines_are_bounded() -> None:
    text = "\n".join(f"line {i}" for i in range(500))
    assert len(x.source_lines((text,), ())) == x.MAX_LINES


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Ladder 7.40", [("7.40", "number"), ("Ladder", "words")]),
        (
            "Date: 14 Feb 2031 Time 10:15",
            [("14 Feb 2031", "date"), ("Date: Time", "words")],
        ),
        ("Ref INV-8812 qty 1kg", [("Ref INV- qty kg", "words")]),
        ("Issued 2031-02-14", [("2031-02-14", "date"), ("Issued", "words")]),
        ("Seats 1,250.00 and 3", [("1,250.00", "number"), ("3", "number"), ("Seats and", "words")]),
    ],
)
def test_line_spans(line: str, expected: list[tuple[str, str]]) -> None:
    assert [(s.text, s.kind) for s in x.line_spans(line, 0)] == expected


def test_request_counts_read_digits_and_number_words() -> None:
    assert x.request_counts(("Share it between three of us", "we are 2")) == ["3", "2"]
    assert x.request_counts(("How much is it?",)) == []


def test_rank_spans_prefers_the_line_the_request_names() -> None:
    reader = BagOfWords()
    ranked = x.rank_spans("How much is the paint tin?", LINES, reader)
    assert ranked[0].line == 3
    assert {s.text for s in ranked if s.line == 3} == {"12.05", "Paint tin"}
    # lines are scored after the line lead, answers after the hint
    assert reader.prompts[0].endswith(x.LINE_LEAD)
    assert x.ANSWER_HINT in reader.prompts[1]


def test_rank_spans_lets_the_model_choose_within_the_line() -> None:
    prefer_numbers = BagOfWords(lambda prompt, text: 1.0 if re.fullmatch(r"[\d.]+", text) else 0.0)
    ranked = x.rank_spans("How much is the paint tin?", LINES, prefer_numbers)
    assert ranked[0] == Span("12.05", "number", 3, ranked[0].score)


def test_rank_spans_of_nothing_is_empty() -> None:
    assert x.rank_spans("anything", [], BagOfWords()) == []
    assert x.rank_spans("  ", LINES, BagOfWords()) == []


def test_named_lines_ignore_function_words() -> None:
    assert x.named_lines("What do the ladder and the brush set cost together?", LINES) == [2, 4]
    assert x.named_lines("How much is it in all?", LINES) == []


def test_usable_templates() -> None:
    assert x.usable(READ, counts=0, named=1)
    assert not x.usable(READ, counts=0, named=0)  # reading a value needs its line named
    assert not x.usable(SPLIT, counts=0, named=1)  # a {count} needs a number asked
    assert x.usable(SPLIT, counts=1, named=1)
    assert not x.usable(ADD, counts=0, named=1)  # two values need two lines named
    assert x.usable(ADD, counts=0, named=2)
    assert x.usable(ALL, counts=0, named=0)
    assert not x.usable(ALL, counts=0, named=1)  # naming a line asks about that line


def test_choose_template_takes_the_nearest_usable_examples() -> None:
    reader = BagOfWords()
    request = "Divide the total among the friends"
    choice = x.choose_template(request, [READ, ADD, SPLIT], reader, ["4"], LINES)
    assert choice is not None and choice.template is SPLIT and choice.similarity > 0.5
    # the same request without a count cannot split
    choice = x.choose_template(request, [READ, SPLIT], reader, [], LINES)
    assert choice is not None and choice.template is READ
    # one line named ("total"): not two values, not every listed value
    assert x.choose_template(request, [ADD, ALL], reader, [], LINES) is None


def test_operation_text_drops_the_names_shared_with_the_lines() -> None:
    request = "What do the ladder and the brush set cost together?"
    assert x.operation_text(request, LINES) == "What do the and the cost together?"


def ranked_for(request: str) -> list[Span]:
    return x.rank_spans(request, LINES, BagOfWords())


def test_fill_two_values_from_the_two_named_lines() -> None:
    request = "What do the ladder and the brush set cost together?"
    filled = x.fill_template(ADD, ranked_for(request), [], LINES, x.named_lines(request, LINES))
    assert filled is not None
    assert sorted(filled["expression"].split(" + ")) == ["3.30", "7.40"]


def test_fill_a_count_from_the_request() -> None:
    request = "Share the total between 4"
    filled = x.fill_template(SPLIT, ranked_for(request), ["4"], LINES)
    assert filled == {"expression": "22.75 / 4"}


def test_fill_all_listed_values_stops_at_a_stated_total() -> None:
    filled = x.fill_template(ALL, ranked_for("Add up everything"), [], LINES)
    assert filled == {"expression": "7.40 + 12.05 + 3.30"}


def test_fill_all_listed_values_takes_the_last_of_each_line() -> None:
    lines = ["Bolt 2 1.50 3.00", "Nut 4 0.25 1.00", "Thanks"]
    prices = BagOfWords(lambda prompt, text: 1.0 if "." in text else 0.0)
    ranked = x.rank_spans("Add up everything", lines, prices)  # the best is a price
    assert x.fill_template(ALL, ranked, [], lines) == {"expression": "3.00 + 1.00"}


def test_a_best_ranked_house_number_does_not_decide_what_is_listed() -> None:
    lines = ["12 Harbour Road", "Bolt 1.50", "Nut 0.25", "Washer 0.10", "Thanks"]
    house = BagOfWords(lambda prompt, text: 1.0 if text == "12" else 0.0)
    ranked = x.rank_spans("Add up everything", lines, house)
    assert ranked[0].text == "12"  # the best single span is the house number
    assert x.fill_template(ALL, ranked, [], lines) == {"expression": "1.50 + 0.25 + 0.10"}


def test_the_kind_of_answer_a_request_wants_weighs_in() -> None:
    reader = BagOfWords()
    wanted = x.wanted_kinds("When was it? the date", reader)
    assert max(wanted, key=wanted.__getitem__) == "date"
    lines = ["Harbour Cafe 2024-03-09 12"]
    ranked = x.rank_spans("Who is it, what is it called by name?", lines, reader)
    assert ranked[0].kind == "words"
    ranked = x.rank_spans("When: what is the date of the day?", lines, reader)
    assert ranked[0].kind == "date"


def test_a_request_for_a_name_leans_to_the_first_line() -> None:
    lines = ["Harbour Cafe", "12 Quay Street", "Tea 2.50"]
    ranked = x.rank_spans("Who is it, what is it called by name?", lines, BagOfWords())
    assert ranked[0].text == "Harbour Cafe"
    ranked = x.rank_spans("How much, what price is the tea?", lines, BagOfWords())
    assert ranked[0].text == "2.50"  # a request for a number does not


def test_fill_needs_enough_numbers() -> None:
    ranked = [Span("Harbour", "words", 0)]
    assert x.fill_template(READ, ranked, [], ["Harbour"]) is None
    assert x.fill_template(SPLIT, ranked_for("Share the total"), [], LINES) is None


def test_reading_templates_are_declared() -> None:
    assert x.reads_one_value(READ) and not x.reads_one_value(ADD)
    assert x.value_slots(ADD) == 2 and x.value_slots(ALL) == 0
    acting = Template("reimburse", {"amount": "{value}"}, ("Reimburse the taxi.",))
    assert not x.reads_one_value(acting)  # one value, but the call acts: it is made
    assert x.usable(acting, counts=0, named=0)


TIMES = Template(CALC, {"expression": "{count} * {count}"}, ("What is 6 times 7?",))


def test_request_only_templates_take_exactly_the_request_numbers() -> None:
    assert x.request_only(TIMES, 2)
    assert not x.request_only(TIMES, 3)  # "3 plus 4 times 2" asks for more
    assert not x.request_only(SPLIT, 1)  # a value must be read
    assert x.fill_template(TIMES, [], ["17.5", "4"], []) == {"expression": "17.5 * 4"}


@pytest.mark.parametrize(
    ("amounts", "total"),
    [
        (["7.40", "12.05", "3.30"], "22.75"),  # nothing stated: the sum
        (["7.40", "12.05", "3.30", "22.75"], "22.75"),  # a stated total
        (["100.00", "50.00", "150.00", "15.00", "165.00", "200.00", "35.00"], "165.00"),
        (["5.00", "5.00"], "10.00"),  # two equal prices are not a total
        (["3", "4.5"], "7.5"),
        ([], None),
    ],
)
def test_document_total(amounts: list[str], total: str | None) -> None:
    assert x.document_total(amounts) == total


def test_fill_the_document_total() -> None:
    claim = Template("reimburse", {"amount": "{total}"}, ("Reimburse this receipt.",))
    assert x.usable(claim, counts=0, named=0) and not x.usable(claim, counts=0, named=1)
    lines = ["Cafe", "Tea 2.50", "Cake 4.00", "Total 6.50", "Cash 10.00", "Change 3.50"]
    ranked = x.rank_spans("Reimburse this", lines, BagOfWords())
    assert x.fill_template(claim, ranked, [], lines) == {"amount": "6.50"}


def test_templates_travel_in_tool_schemas() -> None:
    from agentsdk.toolbox import calculator

    found = x.templates_of([calculator.schema(), {"type": "function", "function": {"name": "t"}}])
    assert list(found) == ["calculator"]
    assert found["calculator"][0].arguments == {"expression": "{value}"}
    assert all(t.examples for t in found["calculator"])


def test_reading_prompt_puts_the_request_after_the_lines() -> None:
    prompt = x.reading_prompt(["a 1", "b 2"], "what is a?", "hint")
    assert prompt == "a 1\nb 2\n\nQuestion: what is a?\nhint"


def test_written_operators() -> None:
    assert x.written_operators("What is 9 x 8?") == ["*"]
    assert x.written_operators("12.5+7.25 then 2 ^ 3") == ["+", "**"]
    assert x.written_operators("order B-7 on 12 May") == []


def test_a_written_out_calculation_chooses_its_own_operator() -> None:
    minus = Template(CALC, {"expression": "{count} - {count}"}, ("What is 9 minus 8?",))
    times = Template(CALC, {"expression": "{count} * {count}"}, ("What is 9 times 8?",))
    choice = x.choose_computation("What is 9 * 8?", [minus, times], BagOfWords(), ["9", "8"])
    assert choice is not None and choice.template is times
    by_words = x.choose_computation("What is 9 minus 8?", [minus, times], BagOfWords(), ["9", "8"])
    assert by_words is not None and by_words.template is minus
    assert x.choose_computation("What is 9?", [minus, times], BagOfWords(), ["9"]) is None


def test_a_line_the_request_names_outweighs_a_fluent_one(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["Quarterly report", "Sales went up this year", "Revenue 42"]

    def fluent(prompt: str, text: str) -> float:  # the model likes the sentence as a line
        if prompt.endswith(x.LINE_LEAD):
            return -0.5 if "Sales" in text else -3.0
        return 0.0

    ranked = x.rank_spans("What was the revenue?", lines, BagOfWords(fluent))
    assert ranked[0].line == 2 and ranked[1].line == 1
    monkeypatch.setattr(x, "NAMED_WEIGHT", 0.0)
    unnamed = x.rank_spans("What was the revenue?", lines, BagOfWords(fluent))
    assert unnamed[0].score == pytest.approx(unnamed[1].score)  # a tie without it
