"""Lengths of time as people say them (issue 11): '3 min', '44 s', '4 min 40 s', '1 h 5 min',
'2 days 3 h'. Pure; every face and the reminder texts use it, so a length reads the same way
everywhere."""

from __future__ import annotations

import math


def say(seconds: float) -> str:
    """``seconds`` in words: seconds below a minute, minutes and seconds below an hour, hours and
    minutes below a day, then days and hours (each rounded to its smaller unit)."""
    if not math.isfinite(seconds) or seconds < 0:
        seconds = 0
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    if total < 3600:
        mins, secs = divmod(total, 60)
        return f"{mins} min {secs} s" if secs else f"{mins} min"
    total_minutes = round(total / 60)
    if total_minutes < 24 * 60:
        hours, mins = divmod(total_minutes, 60)
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(round(total / 3600), 24)
    day_word = "1 day" if days == 1 else f"{days} days"
    return f"{day_word} {hours} h" if hours else day_word


def say_minutes(minutes: float) -> str:
    """A number of minutes in words: 3 -> '3 min', 2.5 -> '2 min 30 s', 0.75 -> '45 s'."""
    return say(minutes * 60)


def say_left(seconds: float) -> str:
    """Time left before something, rounded up to the minute: '15 min', '4 min', '1 h 5 min'."""
    return say(max(1, math.ceil(seconds / 60)) * 60)
