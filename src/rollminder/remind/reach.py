"""Can a reminder reach the person? Cheap enough for ``rollminder next`` (no Apprise, no D-Bus
call): configured channels are one query; without them, the desktop counts only when a D-Bus
session bus exists and the last probe by the daemon (or ``remind``) did not find it empty.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rollminder.service import Rollminder

NOWHERE = (
    "No reminder can reach you: no channel is set up and there is no desktop notification "
    "server. Add one with 'rollminder channel add URL' (ntfy, e-mail, a webhook ...)."
)


def warning(app: Rollminder) -> str | None:
    """A plain sentence when no reminder can reach the person, else None."""
    if app.store.has_channels():
        return None
    if not bus_address():
        return NOWHERE
    # The latest probe of the desktop, by the daemon or by 'rollminder remind'.
    probes = []
    for key in ("daemon", "remind"):
        raw = app.store.reminder_state(key)
        try:
            fact = json.loads(raw) if raw else {}
        except ValueError:
            continue
        if isinstance(fact, dict) and isinstance(fact.get("desktop"), bool):
            probes.append((str(fact.get("at", "")), fact["desktop"]))
    if probes and not max(probes)[1]:
        return NOWHERE
    return None


def bus_address() -> str:
    """The D-Bus session bus address, or '' when there is none (no desktop session)."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and Path(runtime, "bus").exists():
        return f"unix:path={runtime}/bus"
    return ""
