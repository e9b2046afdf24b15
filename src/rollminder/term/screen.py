"""What the live screen shows, as rich renderables (no IO here: the caller draws them).

One screen per moment: the area and direction with a big arrow, the passes, the step's countdown,
a bar for the whole session, and the next step ahead. The same function draws the benchmark's
frames, so it measures the real drawing work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from rollminder.guide import DIRECTION_LABELS, Guide, Step

#: Arrows drawn large, five lines each (box-drawing characters: one cell wide everywhere).
BIG_ARROWS: dict[str, tuple[str, ...]] = {
    "vertical": ("   ▲   ", "   │   ", "   │   ", "   │   ", "   ▼   "),
    "horizontal": ("       ", "       ", "◀─────▶", "       ", "       "),
    "diagonal-up-right": ("   ──┐ ", "    ╱│ ", "   ╱   ", "  ╱    ", " ╱     "),
    "diagonal-up-left": (" ┌──   ", " │╲    ", "   ╲   ", "    ╲  ", "     ╲ "),
}

KEYS_HELP = "space pause/resume · n next step · q quit"


class View(NamedTuple):
    """The state of the session at one moment, as the screen needs it."""

    guide: Guide
    step: Step
    remaining: float  # seconds left in the step
    rolled: float  # seconds rolled in the session so far
    paused: bool
    suspended: bool = False  # paused because of a long gap (sleep)
    notes: Sequence[str] = ()


def clock(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))  # a countdown shows 0:01 until the second is over
    return f"{whole // 60}:{whole % 60:02d}"


def next_step(guide: Guide, step: Step) -> Step | None:
    later = guide.steps[step.index + 1 :]
    return later[0] if later else None


def roll_view(view: View) -> RenderableType:
    guide, step = view.guide, view.step
    rolling = guide.rolling
    number = rolling.index(step) + 1 if step in rolling else 0
    title = Text(f"rollminder · step {number} of {len(rolling)}", style="bold")
    if view.paused:
        title.append("   PAUSED", style="bold yellow")
        if view.suspended:
            title.append(" (stopped or asleep for a while: space goes on)", style="yellow")

    area = Text((step.area or "").upper(), style="bold cyan")
    direction = Text(DIRECTION_LABELS.get(step.direction or "", ""), style="bold")
    direction.append(f"  {step.arrow}", style="bold cyan")
    arrow = Text("\n".join(BIG_ARROWS.get(step.direction or "", ())), style="bold cyan")
    countdown = Text(clock(view.remaining), style="bold magenta" if not view.paused else "yellow")
    countdown.append(" left in this step")

    info = Table.grid(padding=(0, 3))
    info.add_column()
    info.add_column()
    words = Group(area, direction, Text(""), *(Text(line) for line in step.lines), Text(""))
    info.add_row(arrow, words)

    total = guide.total_seconds
    bar = Table.grid(padding=(0, 1))
    bar.add_column(no_wrap=True)
    bar.add_column(ratio=1)
    bar.add_column(no_wrap=True)
    bar.add_row(
        "Session",
        ProgressBar(total=float(total), completed=min(float(total), view.rolled), width=None),
        f"step {number}/{len(rolling)}  {clock(view.rolled)} / {clock(total)}",
    )
    ahead = next_step(guide, step)
    if ahead is None or ahead.kind != "roll":
        upcoming = Text("Next: aftercare", style="dim")
    else:
        upcoming = Text(f"Next: {ahead.title}  {ahead.arrow}", style="dim")
    parts: list[RenderableType] = [
        title,
        Panel(Group(info, countdown), padding=(1, 2)),
        bar,
        upcoming,
    ]
    parts.extend(Text(f"Note: {note}", style="yellow") for note in view.notes)
    parts.append(Text(KEYS_HELP, style="dim"))
    return Group(*parts)


def text_view(step: Step, footer: str) -> RenderableType:
    """Preparation or aftercare: the lines, and what key goes on."""
    body = Group(*(Text(f"• {line}") for line in step.lines))
    return Group(
        Text(f"rollminder · {step.title}", style="bold"),
        Panel(body, padding=(1, 2)),
        Text(footer, style="bold"),
    )
