"""Approval rules: what a policy may be, and why a call needs a person."""

from __future__ import annotations

from typing import Any

import pytest

from agentsdk import ConfigurationError
from agentsdk.hitl.policies import ApprovalContext, approval_reason, check_approval

CONTEXT = ApprovalContext(tool="pay", run_id="r", thread_id=None, step=1, observations=())


@pytest.mark.parametrize("policy", ["never", "always", lambda a: True, lambda a, c: False])
def test_valid_policies_pass(policy: Any) -> None:
    check_approval(policy, "tool 'pay'")


@pytest.mark.parametrize("policy", ["sometimes", 3, None])
def test_anything_else_is_refused_naming_where(policy: Any) -> None:
    with pytest.raises(ConfigurationError, match="tool 'pay': approval must be"):
        check_approval(policy, "tool 'pay'")


def test_the_reason_says_which_rule_held() -> None:
    amount = {"amount": 500}
    assert approval_reason("never", "pay", amount, CONTEXT) is None
    assert approval_reason("always", "pay", amount, CONTEXT) == (
        "tool 'pay' always needs a person's approval"
    )
    over = approval_reason(lambda a: a["amount"] > 100, "pay", amount, CONTEXT)
    assert over == "the approval rule of tool 'pay' holds for these arguments"
    assert approval_reason(lambda a: a["amount"] > 100, "pay", {"amount": 5}, CONTEXT) is None
    assert approval_reason(lambda a: 1 / 0, "pay", amount, CONTEXT) is not None  # fails closed
