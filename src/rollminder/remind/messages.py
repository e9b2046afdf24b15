"""How one channel's message reads: routines due together in one message, each reminder's words
as sent at the time, and the action links a session reminder carries (:mod:`.engine` sends them;
the workers' prepared passes render with the same functions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from rollminder.remind import planner

if TYPE_CHECKING:
    from rollminder.service import Rollminder


def groups(reminders: Sequence[planner.Reminder]) -> list[list[planner.Reminder]]:
    """The messages one channel sends for ``reminders`` (in order): routines' reminders due
    together (:func:`planner.joinable`) share one; every other reminder is a message of its own."""
    out: list[list[planner.Reminder]] = []
    for r in reminders:
        for g in out:
            if all(planner.joinable(m, r) for m in g):
                g.append(r)
                break
        else:
            out.append([r])
    return out


#: ``links(app)``: label -> URL of the actions a session reminder offers (the web app's Done and
#: Snooze links, which hold its secret token).
Links = Callable[["Rollminder"], Mapping[str, str]]


def linked(reminder: planner.Reminder) -> bool:
    """Whether a reminder carries the action links: a session reminder (or its catch-up) and its
    snoozes. A prep reminder comes before the slot opens, when neither Done nor Snooze applies."""
    return reminder.kind == planner.SESSION or reminder.kind.startswith(planner.SNOOZE + "-")


def render_group(
    group: Sequence[planner.Reminder], now: dt.datetime, actions: Mapping[str, str], kind: str
) -> tuple[str, str, str]:
    """:func:`render` for one message naming several routines' reminders (issue 12): its Done
    and Snooze act on every slot it names (their keys joined by :data:`planner.SEPARATOR`)."""
    if len(group) == 1:
        return render(group[0], now, actions, kind)
    title, body = planner.together(group, now)
    if not linked(group[0]):
        return title, body, ""
    if actions and kind != "desktop":
        body = with_links(body, actions)
    return title, body, planner.SEPARATOR.join(r.slot for r in group)


def render(
    r: planner.Reminder, now: dt.datetime, actions: Mapping[str, str], kind: str
) -> tuple[str, str, str]:
    """Title, body and the slot a channel's Done and Snooze act on, as sent at ``now``. The
    words follow the real time left (:meth:`planner.Reminder.text`). Only a session reminder (or
    its catch-up, or a snooze) offers Done and Snooze, on its slot: the links in the body for a
    channel other than the desktop, the slot for the desktop's buttons. A prep, roller, visit or
    booking reminder gets neither (an empty slot: no buttons)."""
    title, body = r.text(now)
    if not linked(r):
        return title, body, ""
    if actions and kind != "desktop":
        body = with_links(body, actions)
    return title, body, r.slot


def with_links(body: str, links: Mapping[str, str]) -> str:
    """``body`` followed by one ``Label: URL`` line per link."""
    if not links:
        return body
    return body + "\n\n" + "\n".join(f"{label}: {url}" for label, url in links.items())


def hide_links(text: str, links: Mapping[str, str]) -> str:
    """``text`` (an error line) without the links' secret parts: no token in a log or status."""
    for url in links.values():
        for part in sorted(url.split("/"), key=len, reverse=True):
            if len(part) >= 16:
                text = text.replace(part, "****")
    return text
