"""Keys without Enter: the terminal in cbreak mode (no echo, no line buffering) for the length of
a ``with`` block, restored on every way out: a normal end, an exception, Ctrl-C (SIGINT stays on,
so it arrives as KeyboardInterrupt), SIGTERM and SIGHUP (turned into :class:`Terminated`, so the
``finally`` blocks run), and, as a last resort, at interpreter exit.
"""

from __future__ import annotations

import atexit
import os
import select
import signal
import sys
import termios
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: finish quickly (restore the terminal, keep the log)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def terminate_as_exception() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Terminated` inside the block."""
    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, _raise_terminated)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


#: Written around a stop (Ctrl-Z) by default: leave the alternate screen and show the cursor, and
#: back again on ``fg``.
LEAVE_SCREEN = "\x1b[?1049l\x1b[?25h"
ENTER_SCREEN = "\x1b[?1049h\x1b[?25l"


@contextmanager
def cbreak(
    fd: int,
    *,
    on_stop: str = LEAVE_SCREEN,
    on_continue: str = ENTER_SCREEN,
    stopping: Callable[[], None] = lambda: None,
) -> Iterator[None]:
    """Keys one at a time, without echo; the old settings come back whatever happens.

    Ctrl-C stays a signal (KeyboardInterrupt). Ctrl-Z restores the terminal (and writes
    ``on_stop``) before the process stops, and puts it back in cbreak mode (writing
    ``on_continue``) when the shell continues it, as full-screen programs do; ``stopping`` is
    called just before the stop (the session pauses there).
    """
    saved = termios.tcgetattr(fd)

    def restore() -> None:
        with suppress(termios.error, OSError):
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)

    def enter() -> None:
        tty.setcbreak(fd, termios.TCSANOW)
        attrs = termios.tcgetattr(fd)
        attrs[3] &= ~termios.ECHO  # lflag
        termios.tcsetattr(fd, termios.TCSANOW, attrs)

    def write(text: str) -> None:
        with suppress(OSError, ValueError):
            sys.stdout.write(text)
            sys.stdout.flush()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping()
        write(on_stop)
        restore()
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stops here until the shell continues us
        signal.signal(signal.SIGTSTP, stop)
        with suppress(termios.error, OSError):
            enter()
        write(on_continue)

    atexit.register(restore)
    previous = signal.signal(signal.SIGTSTP, stop)
    try:
        enter()
        yield
    finally:
        signal.signal(signal.SIGTSTP, previous)
        restore()
        atexit.unregister(restore)


def read_key(fd: int, timeout: float) -> str | None:
    """One key press (or a burst, such as an arrow key's escape sequence), or None after
    ``timeout`` seconds. Never blocks longer than the timeout."""
    try:
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
    except InterruptedError:  # pragma: no cover - PEP 475 retries; a handler may raise instead
        return None
    if not ready:
        return None
    data = os.read(fd, 32)
    if not data:
        return "\x04"  # end of input: treat like Ctrl-D
    return data.decode("utf-8", errors="replace")


def stdin_fd() -> int:
    return sys.stdin.fileno()
