"""Running a guided session: the live screen with keys, or one timestamped line per cue.

A :class:`Run` holds the timer, so whoever catches Ctrl-C or SIGTERM can still ask it what was
rolled (:meth:`Run.stop`). Waiting is always "until the next deadline", computed afresh from the
monotonic clock: a slow frame or a late wake-up never shifts the steps after it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO, NamedTuple

from rich.console import Console, RenderableType
from rich.live import Live

from rollminder.env import Monotonic
from rollminder.guide import Guide, Step
from rollminder.term import screen
from rollminder.term.cues import Cues
from rollminder.term.timer import Timer

#: Real seconds without a tick that count as the computer having slept (see timer.py).
SLEEP_GAP = 5.0
#: The longest real wait between two looks at the keys and the clock.
MAX_WAIT = 0.5


class Outcome(NamedTuple):
    rolled: float  # seconds rolled, pauses excluded
    rolled_by_step: tuple[float, ...]  # per rolling step
    completed: bool  # every step ran to its end (or was skipped with n)
    quit: bool  # the person pressed q


class Run:
    def __init__(self, guide: Guide, monotonic: Monotonic) -> None:
        self.guide = guide
        self.rolling = guide.rolling
        self.monotonic = monotonic
        self.timer: Timer | None = None
        self.on_start: Callable[[], None] = lambda: None  # called when rolling begins
        self.stopped_at: float | None = None  # set by note_stop (Ctrl-Z), read by the loop

    def note_stop(self) -> None:
        """The process is about to stop (SIGTSTP): the step pauses there when it continues."""
        self.stopped_at = self.monotonic()

    def _start_timer(self) -> Timer:
        speed = self.monotonic.speed or 1.0
        self.timer = Timer(
            [s.seconds for s in self.rolling], self.monotonic(), max_gap=SLEEP_GAP * speed
        )
        self.on_start()
        return self.timer

    def stop(self) -> Outcome:
        """What was rolled, the session ending now (also after an interruption)."""
        if self.timer is None:
            return Outcome(0.0, tuple(0.0 for _ in self.rolling), False, False)
        completed = self.timer.finished
        rolled = self.timer.stop(self.monotonic())
        return Outcome(rolled, tuple(self.timer.rolled_by_step), completed, False)

    def _wait(self, wake: float) -> float:
        """Real seconds until monotonic time ``wake`` (at most MAX_WAIT)."""
        return min(MAX_WAIT, max(0.0, self.monotonic.real(wake - self.monotonic())))

    # -- the live screen ---------------------------------------------------------------------

    def live(
        self,
        console: Console,
        fd: int,
        cues: Cues,
        *,
        notes: tuple[str, ...] = (),
        read_key: Callable[[int, float], str | None],
    ) -> Outcome:
        with Live(
            console=console,
            screen=True,
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
        ) as live:
            if not self._prep(live, fd, cues, read_key):
                return Outcome(0.0, tuple(0.0 for _ in self.rolling), False, True)
            timer = self._start_timer()
            cues.cue(self.rolling[0].cue)
            drawn: tuple[int, int, bool] | None = None
            while True:
                if self.stopped_at is not None:
                    timer.suspend(self.stopped_at)
                    self.stopped_at = None
                now = self.monotonic()
                for index in timer.tick(now):
                    cues.cue(self.rolling[index].cue)
                if timer.finished:
                    break
                shown = (timer.index, int(timer.remaining(now) + 0.999), timer.paused)
                if shown != drawn:
                    live.update(self._frame(timer, now, notes), refresh=True)
                    drawn = shown
                cues.poll()
                key = read_key(fd, self._wait(timer.next_wake(now)))
                if key is None:
                    continue
                now = self.monotonic()
                if key == " ":
                    timer.toggle(now)
                elif key in ("n", "N"):
                    started = timer.skip(now)
                    if started is not None:
                        cues.cue(self.rolling[started].cue)
                elif key in ("q", "Q", "\x04"):
                    rolled = timer.stop(now)
                    return Outcome(rolled, tuple(timer.rolled_by_step), False, True)
        cues.cue(self.guide.steps[-1].cue)
        return Outcome(timer.rolled_before, tuple(timer.rolled_by_step), True, False)

    def _prep(
        self, live: Live, fd: int, cues: Cues, read_key: Callable[[int, float], str | None]
    ) -> bool:
        """The preparation screen, with the roller's soak as an optional countdown (s starts
        it, Enter stops it). False when the person quits (q)."""
        prep = self.guide.steps[0]
        start = "Press space or Enter to start rolling, q to quit."
        soak = prep.soak_seconds
        offer = f"Press s to start a {soak // 60}-minute soak timer (optional).\n" if soak else ""
        live.update(screen.text_view(prep, offer + start), refresh=True)
        soak_end: float | None = None
        shown: int | None = None
        while True:
            wait = MAX_WAIT
            if soak_end is not None:
                left = soak_end - self.monotonic()
                if left <= 0:
                    soak_end = None
                    cues.cue("Soak done: let the roller air-dry.")
                    done = "Soak done: let the roller air-dry.\n"
                    live.update(screen.text_view(prep, done + start), refresh=True)
                    continue
                if int(left + 0.999) != shown:
                    shown = int(left + 0.999)
                    footer = f"Soaking: {screen.clock(left)} left. Enter stops the timer, q quits."
                    live.update(screen.text_view(prep, footer), refresh=True)
                wait = self._wait(soak_end)
            key = read_key(fd, wait)
            if key is None:
                continue
            if key in ("q", "Q", "\x04"):
                return False
            if soak_end is not None:
                if key in (" ", "\r", "\n"):
                    soak_end = None
                    live.update(screen.text_view(prep, offer + start), refresh=True)
                continue
            if key in ("s", "S") and soak:
                soak_end, shown = self.monotonic() + soak, None
                cues.cue("Soak timer started.")
            elif key in (" ", "\r", "\n"):
                return True

    def _frame(self, timer: Timer, now: float, notes: tuple[str, ...]) -> RenderableType:
        return screen.roll_view(
            screen.View(
                guide=self.guide,
                step=self.rolling[timer.index],
                remaining=timer.remaining(now),
                rolled=timer.rolled(now),
                paused=timer.paused,
                suspended=timer.suspended,
                notes=notes,
            )
        )

    # -- lines, for pipes and scripts ---------------------------------------------------------

    def lines(self, out: IO[str], stamp: Callable[[], str]) -> Outcome:
        def say(step: Step, extra: str = "") -> None:
            out.write(f"{stamp()} {step.cue}{extra}\n")
            out.flush()

        say(self.guide.steps[0])
        timer = self._start_timer()
        say(self.rolling[0], f" ({self.rolling[0].seconds} s)")
        while True:
            now = self.monotonic()
            for index in timer.tick(now):
                step = self.rolling[index]
                say(step, f" ({step.seconds} s)")
            if timer.finished:
                break
            left = self.monotonic.real(timer.deadline - self.monotonic())
            time.sleep(min(MAX_WAIT, max(0.0, left)))
        say(self.guide.steps[-1])
        return Outcome(timer.rolled_before, tuple(timer.rolled_by_step), True, False)
