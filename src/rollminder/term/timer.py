"""The guided session's timer: monotonic deadlines, never accumulated sleeps.

Pure: the caller passes the monotonic time ``now`` to every call, so tests and the benchmark can
drive it. Each timed step ends at a deadline fixed when it started (the previous step's deadline
when steps follow on, so drawing or a slow tick never makes the session drift); a pause moves the
current deadline by exactly the time paused.

A long gap between two ticks (the laptop was suspended on a system whose monotonic clock runs on
through suspend, the process was stopped, a VM was paused) is taken as a pause that began at the
last tick: the step resumes where it left off, paused, and the person presses space to go on.
Rolled time counts only the time the timer ran, never pauses or gaps.
"""

from __future__ import annotations

from collections.abc import Sequence


class Timer:
    def __init__(self, durations: Sequence[float], now: float, *, max_gap: float = 5.0) -> None:
        if not durations or any(d <= 0 for d in durations):
            raise ValueError("a timer needs one or more positive durations")
        self.durations = tuple(float(d) for d in durations)
        self.max_gap = max_gap
        self.index = 0
        self.deadline = now + self.durations[0]
        self.paused_at: float | None = None
        self.suspended = False  # the last pause was a gap between ticks, not a key
        self.rolled_before = 0.0  # seconds rolled in the steps already over
        self.rolled_by_step = [0.0] * len(self.durations)
        self.last_tick = now
        self.finished = False

    # -- reading --------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def remaining(self, now: float) -> float:
        """Seconds left in the current step (frozen while paused)."""
        if self.finished:
            return 0.0
        at = self.paused_at if self.paused_at is not None else now
        return max(0.0, self.deadline - at)

    def step_elapsed(self, now: float) -> float:
        if self.finished:
            return 0.0
        return self.durations[self.index] - self.remaining(now)

    def rolled(self, now: float) -> float:
        """Seconds rolled so far, pauses excluded."""
        return self.rolled_before + self.step_elapsed(now)

    def next_wake(self, now: float) -> float:
        """The monotonic time of the next thing to happen: the deadline, or the next whole
        second of the countdown (for the redraw), whichever comes first."""
        if self.finished or self.paused:
            return now + 1.0
        left = self.deadline - now
        frac = left - int(left)
        return now + (frac if frac > 0.001 else min(1.0, left))

    # -- changing -------------------------------------------------------------------------------

    def tick(self, now: float) -> list[int]:
        """Advance through the deadlines that have passed; returns the steps that started."""
        started: list[int] = []
        if self.finished:
            return started
        gap = now - self.last_tick
        self.last_tick = now
        if self.paused_at is None and gap > self.max_gap:
            # Asleep or stopped: pause where the last tick left off.
            self.paused_at = now - gap
            self.suspended = True
            return started
        if self.paused_at is not None:
            return started
        while now >= self.deadline:
            started_index = self._end_step(self.durations[self.index], self.deadline)
            if started_index is None:
                break
            started.append(started_index)
        return started

    def _end_step(self, rolled: float, at: float) -> int | None:
        self.rolled_by_step[self.index] = rolled
        self.rolled_before += rolled
        if self.index + 1 >= len(self.durations):
            self.finished = True
            return None
        self.index += 1
        self.deadline = at + self.durations[self.index]
        return self.index

    def suspend(self, at: float) -> None:
        """The process was stopped at ``at`` (Ctrl-Z): pause there, as for a long gap."""
        if self.finished or self.paused_at is not None:
            return
        self.paused_at = min(max(at, self.last_tick), self.deadline)
        self.suspended = True

    def toggle(self, now: float) -> bool:
        """Pause, or resume; returns whether it is paused now."""
        if self.finished:
            return False
        self.last_tick = now
        if self.paused_at is None:
            self.paused_at = now
            self.suspended = False
            return True
        self.deadline += now - self.paused_at
        self.paused_at = None
        self.suspended = False
        return False

    def skip(self, now: float) -> int | None:
        """End the current step now (what was rolled of it counts); returns the step that
        started, or None when that was the last."""
        if self.finished:
            return None
        rolled = self.step_elapsed(now)
        self.last_tick = now
        if self.paused_at is not None:
            self.paused_at = now  # the next step starts paused too
        started = self._end_step(rolled, now)
        if started is not None and self.paused_at is not None:
            self.deadline = now + self.durations[self.index]
        return started

    def stop(self, now: float) -> float:
        """End the session part-way; returns the seconds rolled (steps whose deadline passed
        since the last tick count in full)."""
        self.tick(now)
        if not self.finished:
            self.rolled_by_step[self.index] = self.step_elapsed(now)
            self.rolled_before += self.step_elapsed(now)
            self.finished = True
        return self.rolled_before
