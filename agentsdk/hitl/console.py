"""A person at the terminal decides: `ConsoleApprover` shows an interruption's evidence
and reads a decision (what `agentsdk chat` uses)."""

from __future__ import annotations

import json
from collections.abc import Callable

from agentsdk.hitl.approvals import Decision, Interruption

__all__ = ["ConsoleApprover"]


class ConsoleApprover:
    """Asks at the terminal: shows the evidence, reads a decision.

    Tool calls: [a]pprove, approve [A]lways, [e]dit (JSON arguments), [r]eject (with a
    message), re[s]pond (an answer in place of the tool), [p]ause. Perception: [c]onfirm,
    c[o]rrect (the right text), [r]eject (drop it), [p]ause.
    """

    def __init__(
        self,
        *,
        ask: Callable[[str], str] = input,
        say: Callable[[str], None] = print,
        actor: str = "console",
    ) -> None:
        self._ask, self._say, self.actor = ask, say, actor

    def __call__(self, interruption: Interruption) -> Decision | None:
        self._say(interruption.evidence.render())
        if interruption.kind == "tool":
            menu = "[a]pprove, approve [A]lways, [e]dit, [r]eject, re[s]pond, [p]ause"
        else:
            menu = "[c]onfirm, c[o]rrect, [r]eject, [p]ause"
        while True:
            try:
                choice = self._ask(f"{menu}? ").strip()
            except EOFError:
                return None
            decision = self._decide(interruption.kind, choice)
            if decision is not None or choice.lower() in ("p", "pause"):
                return decision
            self._say(f"please answer one of: {menu}")

    def _decide(self, kind: str, choice: str) -> Decision | None:
        actor = self.actor
        if kind == "tool":
            if choice == "a":
                return Decision.approve(actor=actor)
            if choice == "A":
                return Decision.approve_always(actor=actor)
            if choice == "e":
                try:
                    arguments = json.loads(self._ask("new arguments (JSON object): "))
                except json.JSONDecodeError as exc:
                    self._say(f"not JSON: {exc}")
                    return None
                if not isinstance(arguments, dict):
                    self._say("the arguments must be a JSON object")
                    return None
                return Decision.edit(arguments, actor=actor)
            if choice == "r":
                return Decision.reject(self._ask("message for the model: "), actor=actor)
            if choice == "s":
                answer = self._ask("your answer: ").strip()
                return Decision.respond(answer, actor=actor) if answer else None
            return None
        if choice == "c":
            return Decision.confirm(actor=actor)
        if choice == "o":
            text = self._ask("the right text: ").strip()
            return Decision.correct(text, actor=actor) if text else None
        if choice == "r":
            return Decision.reject(actor=actor)
        return None
