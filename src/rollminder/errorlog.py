"""The one place unexpected errors are written: ``error.log`` in the data directory, owner-only
(0600, even in a directory that is not), a header line saying which face and when, then the
traceback. A person sees one line naming this file; the details are for whoever fixes it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

NAME = "error.log"


def log_unexpected(home: Path, exc: BaseException, *, face: str) -> Path | None:
    """Append ``exc`` with its traceback to ``home``/error.log; the path, or None when it could
    not be written (a read-only or missing disk: the one-line message still reaches the
    person)."""
    import traceback

    path = Path(home) / NAME
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(f"--- {face} {dt.datetime.now(dt.UTC).isoformat()}\n")
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path
