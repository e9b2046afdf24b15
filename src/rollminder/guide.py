"""The guided session as plain data: preparation, one step per area and direction, aftercare.

Pure: no IO, no clock. The terminal (``rollminder start``) and the web app render the same list;
:meth:`Guide.to_json` is its stable JSON form (``GUIDE_FORMAT`` changes when the shape does).

Timing (DOMAIN.md, "Technique"): the session's minutes are split evenly, in whole seconds,
across the rolling steps; the first ``total % steps`` steps get one second more, so the rolling
steps add up to exactly ``round(minutes * 60)`` seconds. No step is shorter than
:data:`MIN_STEP_SECONDS` (five light passes take about 10 s): with more areas the session grows to
:func:`min_minutes` (the plan does the same, and :func:`pace_note` says why). Preparation and
aftercare are untimed: the person moves on when ready; the preparation offers the roller's soak as
an optional countdown (``soak_seconds``).

Areas: the plan's zones are what a person chooses; the guide rolls both cheeks separately (the
roller covers one side at a time), so the zone ``cheeks`` gives the areas ``left cheek`` and
``right cheek``.
Order is stable: areas in the plan's zone order, and within an area the plan's direction order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from rollminder.errors import InvalidInput
from rollminder.model import ALL_DIRECTIONS, ALL_ZONES, Plan

GUIDE_FORMAT = 1

#: No rolling step is shorter than this (DOMAIN.md: five light passes take about 10 s).
MIN_STEP_SECONDS = 10
#: The roller's soak in 70% isopropyl alcohol (DOMAIN.md: about 10 minutes), offered as an
#: optional countdown on the preparation step.
SOAK_SECONDS = 600

#: Areas rolled for each zone (one step per area and direction).
ZONE_AREAS: dict[str, tuple[str, ...]] = {
    "forehead": ("forehead",),
    "cheeks": ("left cheek", "right cheek"),
    "chin": ("chin and jaw",),
    "neck": ("neck",),
    "chest": ("chest",),
    "spots": ("problem spots",),
    # Body areas (issue 12): each limb or side rolled on its own, as the cheeks are.
    "thighs": ("left thigh", "right thigh"),
    "arms": ("left arm", "right arm"),
    "abdomen": ("abdomen",),
    "hands": ("back of the left hand", "back of the right hand"),
}

ZONE_LABELS: dict[str, str] = {
    "forehead": "Forehead",
    "cheeks": "Cheeks",
    "chin": "Chin and jaw",
    "neck": "Neck",
    "chest": "Chest (décolleté)",
    "spots": "Problem spots",
    "thighs": "Thighs",
    "arms": "Arms",
    "abdomen": "Abdomen",
    "hands": "Back of the hands",
}

#: What to keep clear of in each area (DOMAIN.md: never over eyelids, lips, moles, warts or
#: broken skin).
AREA_CAUTION: dict[str, str] = {
    "forehead": "Stay above the brows; keep off the eyelids.",
    "left cheek": "Stay below the eye socket; keep off moles and broken skin.",
    "right cheek": "Stay below the eye socket; keep off moles and broken skin.",
    "chin and jaw": "Keep off the lips.",
    "neck": "Light pressure; keep off moles and warts.",
    "chest": "Light pressure; keep off moles and warts.",
    "problem spots": "Only the spots you chose; never over broken skin.",
    "left thigh": "Keep off moles, warts and broken skin; stretch marks and scars are fine.",
    "right thigh": "Keep off moles, warts and broken skin; stretch marks and scars are fine.",
    "left arm": "Keep off moles and warts; light pressure on the inner arm.",
    "right arm": "Keep off moles and warts; light pressure on the inner arm.",
    "abdomen": "Keep off the navel, moles and broken skin.",
    "back of the left hand": "Light pressure over the knuckles and veins; keep off broken skin.",
    "back of the right hand": "Light pressure over the knuckles and veins; keep off broken skin.",
}

DIRECTION_LABELS: dict[str, str] = {
    "vertical": "Vertical",
    "horizontal": "Horizontal",
    "diagonal-up-right": "Diagonal, up to the right",
    "diagonal-up-left": "Diagonal, up to the left",
}

DIRECTION_HOW: dict[str, str] = {
    "vertical": "Roll up and down.",
    "horizontal": "Roll side to side.",
    "diagonal-up-right": "Roll from lower left to upper right.",
    "diagonal-up-left": "Roll from lower right to upper left.",
}

_ARROWS: dict[str, str] = {
    "vertical": "\u2195",  # ↕
    "horizontal": "\u2194",  # ↔
    "diagonal-up-right": "\u2197",  # ↗
    "diagonal-up-left": "\u2196",  # ↖
}

PREP_LINES: tuple[str, ...] = (
    "Soak the roller in 70% isopropyl alcohol for about 10 minutes, then let it air-dry. "
    "No boiling or hot water.",
    "Wash your hands. Cleanse your skin and pat it dry.",
    "Roll with light pressure, about 5 passes per direction, lifting the roller between passes.",
    "Never over eyelids, lips, moles, warts or broken skin.",
)
PREP_SOURCE = (
    "A LifeZette article on micro-needling (cleanse first); askvity.info, necolebitchie.com "
    "(soak 5-10 minutes in 70% isopropyl alcohol); levintel.com, facefirma.co.uk (no boiling); "
    "facefirma.co.uk (passes)."
)

AFTERCARE_LINES: tuple[str, ...] = (
    "Rinse the roller, soak it in 70% isopropyl alcohol again, let it air-dry and store it in its "
    "case. Never share a roller.",
    "Apply a gentle hydrating serum (hyaluronic acid is the usual suggestion).",
    "Vitamin A and C serums: a LifeZette article says to apply them after rolling; many aftercare "
    "pages say to avoid retinoids, acids and vitamin C for the first 1-4 days (up to 1-2 weeks). "
    "Sources conflict: ask your clinician.",
    "No makeup and no workout for the rest of today.",
    "Stay out of strong sun today; sunscreen from tomorrow morning.",
)
AFTERCARE_SOURCE = (
    "A LifeZette article on micro-needling (serums after; no makeup, no workout that day); "
    "monarchbrowandfacials.com, "
    "citylaserclinic.com (avoid actives 1-4 days, up to 1-2 weeks); realself.com (vitamin C may "
    "help); theglamorouswoman.com (never share)."
)


@dataclass(frozen=True, slots=True)
class Step:
    index: int  # position in Guide.steps, from 0
    kind: str  # "prep" | "roll" | "aftercare"
    title: str
    lines: tuple[str, ...]
    seconds: int  # 0 for untimed steps (prep and aftercare)
    zone: str | None  # a plan zone (model.ZONES) for roll steps
    area: str | None  # the area rolled ("left cheek"), for roll steps
    direction: str | None  # one of model.ALL_DIRECTIONS, for roll steps
    passes: int | None
    cue: str  # what is spoken or shown when the step starts
    soak_seconds: int = 0  # the prep step's optional soak countdown (0: none)

    @property
    def arrow(self) -> str:
        return direction_arrow(self.direction) if self.direction else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "title": self.title,
            "lines": list(self.lines),
            "seconds": self.seconds,
            "zone": self.zone,
            "area": self.area,
            "direction": self.direction,
            "arrow": self.arrow,
            "passes": self.passes,
            "cue": self.cue,
            "soak_seconds": self.soak_seconds,
        }


class Guide(NamedTuple):
    steps: tuple[Step, ...]
    minutes: float
    zones: tuple[str, ...]
    directions: tuple[str, ...]
    passes: int

    @property
    def total_seconds(self) -> int:
        """Seconds of rolling: the sum of the timed steps."""
        return sum(step.seconds for step in self.steps)

    @property
    def rolling(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.kind == "roll")

    def elapsed_before(self, index: int) -> int:
        """Seconds of rolling planned before step ``index`` starts."""
        return sum(step.seconds for step in self.steps[:index])

    def to_json(self) -> dict[str, Any]:
        return {
            "format": GUIDE_FORMAT,
            "minutes": self.minutes,
            "total_seconds": self.total_seconds,
            "zones": list(self.zones),
            "directions": list(self.directions),
            "passes": self.passes,
            "steps": [step.to_json() for step in self.steps],
        }


def direction_arrow(direction: str) -> str:
    return _ARROWS[direction]


def step_count(zones: Sequence[str], directions: Sequence[str]) -> tuple[int, int]:
    """(areas, directions) rolled for these zones: each area is rolled in each direction."""
    areas = sum(len(ZONE_AREAS.get(z, (z,))) for z in dict.fromkeys(zones))
    return areas, len(dict.fromkeys(directions))


def min_minutes(zones: Sequence[str], directions: Sequence[str]) -> float:
    """The shortest session in which no step is under :data:`MIN_STEP_SECONDS`."""
    areas, ways = step_count(zones, directions)
    return areas * ways * MIN_STEP_SECONDS / 60


def pace_note(zones: Sequence[str], directions: Sequence[str], minutes: float) -> str:
    """Why the session is as long as it is, when the areas need more than the usual 3 minutes:
    '7 areas x 4 directions need at least 4 min 40 s: your session is set to 4 min 40 s.'
    Empty when 3 minutes are enough."""
    from rollminder.durations import say_minutes

    least = min_minutes(zones, directions)
    if least <= 3:
        return ""
    areas, ways = step_count(zones, directions)
    what = f"{areas} area{'s' if areas != 1 else ''} x {ways} direction{'s' if ways != 1 else ''}"
    return (
        f"{what} need at least {say_minutes(least)} (10 s a step): "
        f"your session is set to {say_minutes(minutes)}."
    )


def split_seconds(total: int, parts: int) -> list[int]:
    """``total`` whole seconds split into ``parts`` near-equal shares, larger ones first."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base, extra = divmod(total, parts)
    return [base + 1 if i < extra else base for i in range(parts)]


def _checked(values: Sequence[str], allowed: Sequence[str], what: str) -> tuple[str, ...]:
    chosen: list[str] = []
    for value in values:
        if value not in allowed:
            raise InvalidInput(f"Unknown {what} {value!r}: use {', '.join(allowed)}.")
        if value not in chosen:
            chosen.append(value)
    if not chosen:
        raise InvalidInput(f"Choose at least one {what}.")
    return tuple(chosen)


def build_guide(
    plan: Plan,
    *,
    zones: Sequence[str] | None = None,
    minutes: float | None = None,
) -> Guide:
    """The step list for one session of ``plan``, with optional per-session zones and minutes."""
    chosen_zones = _checked(plan.zones if zones is None else zones, ALL_ZONES, "zone")
    directions = _checked(plan.directions, ALL_DIRECTIONS, "direction")
    length = plan.minutes if minutes is None else minutes
    if not isinstance(length, int | float) or not 1 <= length <= 30:
        raise InvalidInput("Minutes must be between 1 and 30.")
    passes = plan.passes

    rolls = [
        (zone, area, direction)
        for zone in chosen_zones
        for area in ZONE_AREAS[zone]
        for direction in directions
    ]
    total = max(round(length * 60), MIN_STEP_SECONDS * len(rolls))
    length = max(float(length), total / 60)
    shares = split_seconds(total, len(rolls))

    steps: list[Step] = [
        Step(
            0,
            "prep",
            "Get ready",
            PREP_LINES,
            0,
            None,
            None,
            None,
            None,
            "Get ready.",
            soak_seconds=SOAK_SECONDS,
        )
    ]
    for (zone, area, direction), seconds in zip(rolls, shares, strict=True):
        label = DIRECTION_LABELS[direction]
        steps.append(
            Step(
                index=len(steps),
                kind="roll",
                title=f"{area.capitalize()}: {label.lower()}",
                lines=(
                    f"{DIRECTION_HOW[direction]} {passes} passes, light pressure, "
                    "lift between passes.",
                    AREA_CAUTION[area],
                ),
                seconds=seconds,
                zone=zone,
                area=area,
                direction=direction,
                passes=passes,
                cue=f"{area.capitalize()}. {label}.",
            )
        )
    steps.append(
        Step(
            len(steps),
            "aftercare",
            "Aftercare",
            AFTERCARE_LINES,
            0,
            None,
            None,
            None,
            None,
            "Done. Aftercare.",
        )
    )
    return Guide(tuple(steps), float(length), chosen_zones, directions, passes)
