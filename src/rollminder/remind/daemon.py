"""The long-running reminder loop: ``rollminder daemon``, and the web app's reminder thread.

It sleeps until the next due instant but wakes at least once a minute (:data:`MAX_SLEEP`) to
re-read the wall clock and the database: sleep and resume, clock steps, a new time zone and
edits made by other processes (the CLI, the web app) are picked up by the next pass, which
recomputes everything from the plan, the log and the ledger. Setting ``stop`` ends it within
moments (the CLI sets it on SIGTERM and SIGINT).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rollminder.env import Env
from rollminder.errorlog import log_unexpected
from rollminder.errors import RollminderError
from rollminder.remind import due, engine
from rollminder.remind.channels import (
    DESKTOP_ID,
    Channel,
    DesktopChannel,
    build,
    desktop_available,
)
from rollminder.remind.metrics import REGISTRY
from rollminder.remind.records import ChannelConfig

if TYPE_CHECKING:
    from rollminder.service import Rollminder

log = logging.getLogger("rollminder.remind")

#: Never sleep longer than this (real seconds): re-read the wall clock and the database.
MAX_SLEEP = 60.0
#: Seconds a pass waits for the sends it started before it goes on (the rest are recorded when
#: they finish): short, so a slow channel never delays the next reminder.
SETTLE = 0.2
#: Re-probe the desktop notification server this often (seconds of real time).
DESKTOP_PROBE_EVERY = 600.0
NO_CHANNEL = (
    "No reminder can reach you: no channel is set up and no desktop notification server is "
    "running. Add one with 'rollminder channel add URL' (ntfy, e-mail, a webhook ...)."
)


def clock_rate() -> float:
    """How fast the app's clock runs against real time (ROLLMINDER_CLOCK_SPEED, for demos and
    tests), so sleeps until a due instant are measured on the right clock."""
    if not os.environ.get("ROLLMINDER_NOW"):
        return 1.0
    try:
        return max(0.0, float(os.environ.get("ROLLMINDER_CLOCK_SPEED", "1")))
    except ValueError:
        return 1.0


class _Desktop:
    """Caches the desktop probe and the desktop channel (its event loop hears the buttons)."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.checked = -1e9
        self.present = False
        self.channel: DesktopChannel | None = None

    def available(self) -> bool:
        if time.monotonic() - self.checked > DESKTOP_PROBE_EVERY:
            self.present = desktop_available()
            self.checked = time.monotonic()
        return self.present

    def on_action(self, action: str, slot: str) -> None:
        """A button on a desktop notification: Done logs the session, Snooze snoozes."""
        try:
            app = self.env.open_app(live=True)
            try:
                # One reminder can name two routines due together (issue 12): its buttons act
                # on every routine it named that is open now.
                if action == "done":
                    logged = engine.done_open(app, slot)
                    log.info(
                        "logged %d session(s) from the notification's Done button", len(logged)
                    )
                elif action == "snooze":
                    engine.snooze_open(app, slot=slot)
                    log.info("snoozed from the notification's Snooze button")
            finally:
                app.close()
        except RollminderError as exc:
            log.warning("the %s button: %s", action, exc)

    def build(self, config: ChannelConfig) -> Channel:
        if config.kind == "desktop":
            if self.channel is None:
                self.channel = DesktopChannel(config.name, self.on_action)
            self.channel.id = config.id
            self.channel.name = config.name
            return self.channel
        return build(config)

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()


def _count(result: engine.PassResult, configs: list[ChannelConfig], now: object) -> None:
    """The pass's deliveries and failures in this process's figures (``/metrics``)."""
    import datetime as dt

    kinds = {c.name: c.kind for c in configs}
    for s in result.sent:
        late = (now - s.reminder.at).total_seconds() if isinstance(now, dt.datetime) else 0.0
        REGISTRY.sent(kinds.get(s.channel, "?"), late)
    for name, _ in result.failed:
        REGISTRY.failure(kinds.get(name, "?"))
    REGISTRY.passed()


def _sleep(stop: threading.Event, seconds: float, senders: engine.Senders) -> None:
    """Sleep ``seconds``, or until ``stop``; while a channel is sending, also until it finishes
    or misses its deadline (the next pass records it)."""
    end = time.monotonic() + seconds
    while not stop.is_set():
        now = time.monotonic()
        if now >= end:
            return
        if not senders.busy():
            stop.wait(end - now)
            return
        deadline = senders.next_deadline()
        if deadline is not None and now >= deadline:
            return
        until = min(end, deadline) if deadline is not None else end
        if senders.finished.wait(min(until - now, 0.05)):
            return


def run(
    env: Env,
    stop: threading.Event,
    *,
    on_pass: Callable[[engine.PassResult], None] | None = None,
    max_sleep: float = MAX_SLEEP,
    links: engine.Links | None = None,
    send_deadline: float = engine.SEND_DEADLINE,
) -> None:
    """Run passes until ``stop`` is set, sleeping at most ``max_sleep`` real seconds between
    them (tests shorten it). A failed pass (a locked or damaged database, a bug) is
    logged and retried a minute later with the database opened afresh. ``links`` (the web app
    gives them) adds Done and Snooze links to session reminders: see :func:`engine.run_pass`.

    Channels send on threads of their own (:class:`engine.Senders`, each with
    ``send_deadline``): a pass waits for them at most :data:`SETTLE` seconds, the loop wakes when
    one finishes (to record it) or misses its deadline, and ``stop`` is heeded within 50 ms,
    never waiting for a sender."""

    senders = engine.Senders(send_deadline)
    desktop = _Desktop(env)
    rate = clock_rate()
    warned = False
    app: Rollminder | None = None
    try:
        while not stop.is_set():
            wait = max_sleep
            try:
                if app is None:
                    app = env.open_app(live=True)
                configs = app.active_channels(desktop.available)
                with due.quiet(app):  # the due index, once after the pass (issue 16)
                    result = engine.run_pass(
                        app,
                        configs,
                        channel_for=desktop.build,
                        links=links,
                        senders=senders,
                        wait=SETTLE,
                        stop=stop,
                    )
                _count(result, configs, app.now())
                unreachable = not configs
                if unreachable and not warned:
                    log.warning(NO_CHANNEL)
                warned = unreachable
                engine.heartbeat(
                    app,
                    "daemon",
                    pid=os.getpid(),
                    desktop=desktop.present,
                    channels=len(configs),
                    implicit_desktop=bool(configs) and configs[0].id == DESKTOP_ID,
                )
                if on_pass is not None:
                    on_pass(result)
                if result.next_at is not None:
                    ahead = (result.next_at - env.now()).total_seconds()
                    real = ahead / rate if rate > 0 else max_sleep
                    wait = min(max_sleep, max(0.0, real))
            except (
                Exception
            ) as exc:  # never let one bad pass end the loop (or the web app's thread)
                if isinstance(exc, RollminderError):
                    log.error("reminder pass failed: %s", exc)
                else:
                    logged = log_unexpected(env.home, exc, face="reminders")
                    log.error("reminder pass failed unexpectedly (details in %s)", logged or "-")
                if app is not None:
                    app.close()
                    app = None
            _sleep(stop, wait, senders)
    finally:
        desktop.close()
        if app is not None:
            app.close()
