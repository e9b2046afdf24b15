"""The skin journal (issue 17): saving a 12-megapixel photo (decode, turn upright, strip the
metadata, re-encode, thumbnail, write), the compare page with 100 photos, and the dermatologist
report for a year. In-process, on a real SQLite data directory; medians of a few rounds (each
is a whole operation)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import statistics
import time
from collections.abc import Callable

from bench import common
from bench.common import Options, Result

NAME = "journal"
DESCRIPTION = "save a 12 MP photo; the compare page with 100 photos; the report for a year"

NOW = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)


def _photo(width: int, height: int) -> bytes:
    """A camera-like JPEG: a gradient with noise, EXIF with GPS and orientation."""
    from PIL import Image

    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(base, noise, 0.3)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def _time(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.9))]


def run(options: Options) -> Result:
    from starlette.testclient import TestClient

    from rollminder.env import Env
    from rollminder.service import Rollminder
    from rollminder.web.app import create_app

    rounds = max(3, min(options.rounds, 10))
    home = common.WORK / "journal"
    shutil.rmtree(home, ignore_errors=True)
    clock = [NOW]
    env = Env(home=home, clock=lambda: clock[0])
    store = env.open_store()
    app = Rollminder(store, env.now)
    app.set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin")
    rows = []

    big = _photo(4000, 3000)
    median, p90 = _time(lambda: app.add_photo(big, angle="front"), rounds)
    rows.append(["save a 12 MP photo (JPEG with EXIF, 4000x3000)", median, p90])
    for p in app.photos():
        app.delete_photo(p.id)

    small = _photo(1200, 900)
    for i in range(100):
        clock[0] = NOW - dt.timedelta(days=7 * (100 - i))
        app.add_photo(small, angle=("front", "left", "right", "front")[i % 4])
    clock[0] = NOW
    # a year of twice-weekly sessions with reactions and notes
    for week in range(52):
        for offset in (0, 3):
            day = NOW - dt.timedelta(weeks=52 - week, days=-offset)
            clock[0] = day
            app.log_session(
                at=day, minutes=3, reaction=("none", "mild", "strong")[week % 3], note="ok"
            )
    clock[0] = NOW
    store.close()
    with TestClient(create_app(env, start_reminders=False), base_url="http://127.0.0.1:8765") as c:
        c.get("/photos")
        median, p90 = _time(lambda: c.get("/photos/compare?angle=front").raise_for_status(), rounds)
        rows.append(["compare page, 100 photos (GET /photos/compare)", median, p90])
        median, p90 = _time(lambda: c.get("/photos").raise_for_status(), rounds)
        rows.append(["photos page with timeline, 100 photos (GET /photos)", median, p90])
    with env.open_store() as again:
        year = Rollminder(again, env.now)
        size = len(year.report_pdf(52))
        median, p90 = _time(lambda: year.report_pdf(52), rounds)
        rows.append(
            [f"report for a year (52 weeks, 104 sessions; {size // 1024} KB PDF)", median, p90]
        )
    header = ["operation", "median ms", "p90 ms"]
    table = [[r[0], common.ms(r[1]), common.ms(r[2])] for r in rows]
    context = f"{common.today()}; {common.machine_line()}; {rounds} rounds each, in-process."
    text = "\n\n".join(["Skin journal\n" + context, common.text_table(header, table)])
    markdown = "\n\n".join(
        [
            "## Skin journal (`bench/run.py journal`)",
            context,
            common.markdown_table(header, table),
        ]
    )
    return Result(NAME, text, markdown, [], [])
