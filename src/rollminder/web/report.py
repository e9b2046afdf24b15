"""The report for the dermatologist as a button (issue 17), and the Loop Habit Tracker import
from the web: both call the same use cases as ``rollminder report`` and ``import --from loop``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import limits
from rollminder.errors import InvalidInput, RollminderError
from rollminder.web.kit import flash, redirect, render, service

LOOP_PATH = "/journal/import-loop"
LOOP_BYTES = 20 * 1024 * 1024


async def report_page(request: Request) -> Response:
    app = service(request)
    rows = app.photos()
    return render(request, "report.html", photos=rows, weeks=12, loop_path=LOOP_PATH)


async def report_pdf(request: Request) -> Response:
    app = service(request)
    weeks = limits.REPORT_WEEKS.parse(request.query_params.get("weeks", "12"), "number of weeks")
    pairs = []
    for pair in request.query_params.getlist("pair"):
        a, _, b = pair.partition(",")
        if not b:
            raise InvalidInput("Choose two photos for a pair.")
        pairs.append((app.photo(a).id, app.photo(b).id))
    data = app.report_pdf(weeks, pairs or None)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "cache-control": "no-store, private",
            "content-disposition": 'attachment; filename="rollminder-report.pdf"',
        },
    )


async def import_loop(request: Request) -> Response:
    app = service(request)
    form = await request.form(max_part_size=LOOP_BYTES)
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            raise InvalidInput("Choose the file Loop Habit Tracker exported.")
        habit = str(form.get("habit", "")).strip() or None
        name = Path(file.filename).name or "the file"
        with tempfile.TemporaryDirectory(prefix="rollminder-loop-") as folder:
            path = Path(folder) / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(await file.read())
            done = app.import_loop(path, habit)
        flash(request, done.summary(name))
    except RollminderError as exc:
        flash(request, str(exc), "error")
    finally:
        await form.close()
    return redirect("/report")


routes: list[BaseRoute] = [
    Route("/report", report_page, methods=["GET"]),
    Route("/report.pdf", report_pdf, methods=["GET"]),
    Route(LOOP_PATH, import_loop, methods=["POST"]),
]
