"""Where a desktop notification could go: the D-Bus session bus, found without a D-Bus call."""

from __future__ import annotations

import os
from pathlib import Path


def bus_address() -> str:
    """The D-Bus session bus address, or '' when there is none (no desktop session)."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and Path(runtime, "bus").exists():
        return f"unix:path={runtime}/bus"
    return ""
