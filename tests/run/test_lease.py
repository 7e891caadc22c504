"""The lease a run holds on its thread (or, without a store, on itself)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentsdk import StaleStateError, ThreadBusyError
from agentsdk.run._lease import hold, stepped
from agentsdk.run.checkpoints import SQLiteCheckpointStore
from agentsdk.run.state import RunState


async def _nested(store: SQLiteCheckpointStore | None, state: RunState) -> None:
    async with hold(store, state), hold(store, state.copy()):
        pass


def test_without_a_store_a_run_is_held_once_and_old_copies_are_stale() -> None:
    state = RunState(run_id="lease-local")
    with pytest.raises(ThreadBusyError, match="already being resumed"):
        asyncio.run(_nested(None, state))
    old = state.copy()
    stepped(state)
    stepped(state)

    async def go_on(copy: RunState) -> None:
        async with hold(None, copy):
            pass

    asyncio.run(go_on(state))  # the newest is fine, and free again after the first hold
    with pytest.raises(StaleStateError, match="went on from this state already"):
        asyncio.run(go_on(old))


def test_with_a_store_the_lease_is_the_stores_and_is_released(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(tmp_path / "runs.db", lease_seconds=1.0)
    state = RunState(run_id="r", thread_id="t")
    store.save(state)
    with pytest.raises(ThreadBusyError, match="is being run by"):
        asyncio.run(_nested(store, state))

    async def long_run() -> None:  # longer than the lease: renewed in the background
        async with hold(store, state):
            await asyncio.sleep(2.5)
            with pytest.raises(ThreadBusyError):
                store.claim("t", "someone else")

    asyncio.run(long_run())
    store.claim("t", "someone else")  # released when the run stopped
    store.release("t", "someone else")
    behind = RunState(run_id="r", thread_id="t")  # version 0; the thread is at 1
    with pytest.raises(StaleStateError, match="moved on"):
        asyncio.run(_nested(store, behind))
