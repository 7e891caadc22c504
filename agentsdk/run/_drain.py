"""One consumer of a producer task's queue: the shape every event stream here shares."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["drain"]


async def drain(
    items: asyncio.Queue[T | BaseException | None], producer: Coroutine[Any, Any, None]
) -> AsyncIterator[T]:
    """What `producer` (started here, as a task) puts on `items`, until it puts None; an
    exception it puts is raised here. A consumer that stops early cancels it."""
    task = asyncio.create_task(producer)
    try:
        while (item := await items.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
