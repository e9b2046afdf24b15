"""A cue at every step change: the terminal bell and, when espeak-ng is on PATH, the cue spoken by
a background process. Nothing here waits for speech: the timer never blocks on it. A new cue cuts
off one still being spoken.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from typing import IO


class Cues:
    def __init__(self, out: IO[str] | None, *, quiet: bool = False, speech: bool = True) -> None:
        self.out = out
        self.quiet = quiet
        self.speaker = None if quiet or not speech else shutil.which("espeak-ng")
        self._speaking: subprocess.Popen[bytes] | None = None
        self._ending: list[subprocess.Popen[bytes]] = []  # cut off, not reaped yet

    def cue(self, text: str) -> None:
        if self.quiet:
            return
        if self.out is not None:
            try:
                self.out.write("\a")
                self.out.flush()
            except OSError:
                pass
        if self.speaker:
            self._stop()
            try:
                self._speaking = subprocess.Popen(
                    [self.speaker, "--", text],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C in the terminal is ours, not espeak's
                    close_fds=True,
                )
            except OSError:
                self.speaker = None  # not runnable after all: stay silent, keep the timer

    def poll(self) -> None:
        """Reap finished speech processes (no zombies); never waits."""
        if self._speaking is not None and self._speaking.poll() is not None:
            self._speaking = None
        self._ending = [p for p in self._ending if p.poll() is None]

    def _stop(self) -> None:
        """Cut off the cue still being spoken, without waiting for it to go."""
        if self._speaking is not None:
            if self._speaking.poll() is None:
                with contextlib.suppress(OSError):  # it may just have ended
                    self._speaking.terminate()
                self._ending.append(self._speaking)
            self._speaking = None

    def close(self) -> None:
        """Let speech of the last cue finish on its own; reap what already ended."""
        self.poll()
