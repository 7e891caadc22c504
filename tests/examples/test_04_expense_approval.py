"""examples/04_expense_approval.py"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples.run_example import run_example


@pytest.mark.stock
def test_04_under_the_limit_runs_above_it_a_new_process_decides(tmp_path: Path) -> None:
    out = run_example("04_expense_approval.py", cwd=tmp_path)
    lines = out.splitlines()
    # the bundled receipt states no total: its four prices add up to 25.45
    assert lines[0] == "receipt.png: reimbursed 25.45 (under the limit of 100.00)"
    # the hotel bill states its total (238.00): above the limit, a person decides
    assert "hotel.png: paused as thread expense-hotel: reimburse 238.00 needs a person" in out
    assert "TOTAL 238.00" in out.split("evidence:", 1)[1]  # the evidence shows the line
    assert lines[-1] == "[new process] expense-hotel approved by ana: reimbursed 238.00"
    assert (tmp_path / "expenses.db").exists()


@pytest.mark.stock
def test_04_a_rejected_expense_is_not_paid(tmp_path: Path) -> None:
    submitted = run_example("04_expense_approval.py", "submit", cwd=tmp_path)
    assert "paused as thread expense-hotel" in submitted
    out = run_example("04_expense_approval.py", "review", "expense-hotel", "reject", cwd=tmp_path)
    assert out.startswith("[new process] expense-hotel rejected by ana: ")
    assert "reimbursed" not in out
