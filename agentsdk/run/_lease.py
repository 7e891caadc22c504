"""One run at a time per thread: the lease a run holds while it works.

With a checkpoint store, the store keeps the lease (`CheckpointStore.claim`), so it holds
across processes; it is renewed in the background while the run goes on and released
when it stops (paused, finished or failed). Without a store, this process keeps it: the
same run cannot be resumed twice at once, nor from a copy older than one that went on
(`StaleStateError`), since `version` grows at every step.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

from agentsdk.errors import StaleStateError, ThreadBusyError
from agentsdk.run.checkpoints import CheckpointStore, new_owner
from agentsdk.run.state import RunState

__all__ = ["hold", "refuse_if_held", "stepped"]

_REMEMBERED = 4096
"""Runs of this process whose newest version is remembered (oldest forgotten first)."""


class _Local:
    """Leases and newest versions of the runs of this process that have no store."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: set[str] = set()
        self.newest: OrderedDict[str, int] = OrderedDict()

    def claim(self, state: RunState) -> None:
        with self.lock:
            if state.run_id in self.active:
                raise ThreadBusyError(
                    f"run {state.run_id} is already being resumed in this process: wait for "
                    "that call to return, then go on from its result's state"
                )
            newest = self.newest.get(state.run_id, state.version)
            if newest > state.version:
                raise StaleStateError(
                    f"run {state.run_id} went on from this state already (step {newest} > "
                    f"{state.version}): go on from the state of the result it returned"
                )
            self.active.add(state.run_id)

    def stepped(self, state: RunState) -> None:
        with self.lock:
            self.newest[state.run_id] = state.version
            self.newest.move_to_end(state.run_id)
            while len(self.newest) > _REMEMBERED:
                self.newest.popitem(last=False)

    def release(self, state: RunState) -> None:
        with self.lock:
            self.active.discard(state.run_id)


_local = _Local()


def stepped(state: RunState) -> None:
    """Count a step of a run that has no store (its stand-in for a checkpoint)."""
    state.version += 1
    _local.stepped(state)


@contextlib.asynccontextmanager
async def hold(store: CheckpointStore | None, state: RunState) -> AsyncIterator[None]:
    """Hold the run's thread (or, without a store, the run) while the body runs."""
    if store is None or not state.thread_id:
        _local.claim(state)
        try:
            yield
        finally:
            _local.release(state)
        return
    thread, owner = state.thread_id, new_owner()
    # one transaction: the lease, and the state is the thread's newest (else stale)
    expires = await asyncio.to_thread(store.claim, thread, owner, version=state.version)
    renewing = asyncio.create_task(_renew(store, thread, owner, expires))
    try:
        yield
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await renewing
        await asyncio.to_thread(store.release, thread, owner)


def refuse_if_held(store: CheckpointStore, thread_id: str) -> None:
    """`ThreadBusyError` when another owner holds the thread now (its run is under way,
    in this process or another); else nothing is kept: the lease is taken and given
    back at once."""
    owner = new_owner()
    store.claim(thread_id, owner)
    store.release(thread_id, owner)


async def _renew(store: CheckpointStore, thread: str, owner: str, expires: float) -> None:
    """Extend the lease whenever two thirds of it have passed."""
    while True:
        await asyncio.sleep(max(0.05, (expires - time.time()) / 3))
        expires = await asyncio.to_thread(store.claim, thread, owner)
