"""The reminder loop inside ``rollminder serve``, with this server's Done and Snooze links."""

from __future__ import annotations

import threading
from collections.abc import Callable

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web import security


def action_links(base_url: str, *, fixed: bool = False) -> Callable[[Rollminder], dict[str, str]]:
    """What the reminder loop appends to a session reminder: the Done and Snooze links of this
    server, with the profile's action token (read on each pass, so a rotated token is used at
    once). Unless ``fixed`` (``serve --public-url``), the public URL set in Settings, read on
    each pass too, comes before ``base_url``."""
    from rollminder.web.kit import stored_public_url

    def links(app: Rollminder) -> dict[str, str]:
        base = (None if fixed else stored_public_url(app)) or base_url.rstrip("/")
        secret = app.token(security.ACTION_TOKEN)
        return {
            "Done": f"{base}/act/{secret}/done",
            "Snooze 30 min": f"{base}/act/{secret}/snooze",
        }

    return links


def run_reminder_loop(
    env: Env, *, links: Callable[[Rollminder], dict[str, str]] | None = None
) -> Callable[[], None]:
    """Run the reminder loop (``rollminder.remind.daemon.run``) in a thread of this process, with
    ``links`` for the session reminders; returns the function that stops it."""
    from rollminder.remind import daemon

    stop = threading.Event()
    thread = threading.Thread(
        target=daemon.run,
        args=(env, stop),
        kwargs={"links": links},
        name="rollminder-reminders",
        daemon=True,
    )
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=10)

    return stopper
