"""Sending a worker's batch of prepared reminders at once (issue 16, :mod:`.prepared`).

Web Push goes through pywebpush's async path on one aiohttp session, so the connections to each
push service are kept between messages and a batch's sends overlap (at most :data:`AT_ONCE` in
flight); every other kind (an Apprise URL) sends through its channel on a thread pool. Each
message gets the engine's deadline; what fails or does not answer in time is reported, never
raised, and its claim goes back to the full delivery pass (the worker decides).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from rollminder.remind.channels import ChannelError, build, scrub
from rollminder.remind.flights import SEND_DEADLINE
from rollminder.remind.records import ChannelConfig

#: Sends in flight at once, per worker.
AT_ONCE = 256


@dataclass(frozen=True)
class Outgoing:
    """One message of a batch: ``key`` is the caller's, to match its outcome."""

    key: Hashable
    config: ChannelConfig  # with what its sender needs (``for_sending``), or as stored ...
    title: str
    body: str
    slot: str
    #: ... with its sender made already (a Web Push channel given its key and token).
    channel: Any = None


class BatchSender:
    """Sends batches on an event loop of its own (a daemon thread): :meth:`send` blocks until
    every message of the batch succeeded, failed or ran out of time."""

    def __init__(self, deadline: float = SEND_DEADLINE, at_once: int = AT_ONCE) -> None:
        self.deadline = deadline
        self.at_once = at_once
        self._loop: asyncio.AbstractEventLoop | None = None  # made on the first batch
        self._thread: threading.Thread | None = None
        self._session: Any = None
        self._threads: ThreadPoolExecutor | None = None

    def _started(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._threads = ThreadPoolExecutor(16, thread_name_prefix="rollminder-batch-send")
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="rollminder-batch", daemon=True
            )
            self._thread.start()
        return self._loop

    def send(self, items: Sequence[Outgoing]) -> list[str | None]:
        """Each message's error (None: the channel accepted it), in order."""
        if not items:
            return []
        future = asyncio.run_coroutine_threadsafe(self._all(items), self._started())
        return future.result()

    async def _all(self, items: Sequence[Outgoing]) -> list[str | None]:
        if self._session is None:
            import aiohttp

            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.at_once, limit_per_host=self.at_once)
            )
        gate = asyncio.Semaphore(self.at_once)

        async def one(item: Outgoing) -> str | None:
            async with gate:
                try:
                    async with asyncio.timeout(self.deadline):  # no task of its own, as wait_for
                        await self._one(item)
                except ChannelError as exc:
                    return str(exc) or "failed"
                except TimeoutError:
                    return f"no answer within {self.deadline:g} seconds"
                except Exception as exc:  # a channel must not take the batch down
                    return scrub(f"{type(exc).__name__}: {exc}", item.config.url)
                return None

        return list(await asyncio.gather(*(one(i) for i in items)))

    async def _one(self, item: Outgoing) -> None:
        from rollminder.remind import webpush

        if item.config.kind == webpush.KIND:
            channel = item.channel or webpush.WebPushChannel(item.config)
            await channel.push(item.title, item.body, item.slot, session=self._session)
            return
        channel = build(item.config)
        await asyncio.get_running_loop().run_in_executor(
            self._threads, lambda: channel.send(item.title, item.body, slot=item.slot)
        )

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def closing() -> None:
            if self._session is not None:
                await self._session.close()

        with contextlib.suppress(Exception):  # on the way out: nothing to tell anyone
            asyncio.run_coroutine_threadsafe(closing(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
        self._loop = self._thread = self._threads = self._session = None
