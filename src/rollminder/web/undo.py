"""The Undo toast's button (issues 11 item 8, 13): ``POST /undo`` takes back the newest edit or
deletion through the facade (``Rollminder.undo``), then goes back to the page the toast was on."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder.web.kit import back_path, flash, redirect, service


async def undo(request: Request) -> Response:
    """The Undo toast's button: take back the newest edit or deletion, then back to the page
    the toast was on (a same-site path)."""
    from rollminder.errors import RollminderError
    from rollminder.usecases.undo import said

    app = service(request)
    form = await request.form()
    back = str(form.get("back", ""))
    if not back.startswith("/") or back.startswith("//") or "\\" in back or len(back) > 300:
        back = back_path(request, "/log")
    try:
        step = app.undo()
    except RollminderError as exc:
        flash(request, exc.message, "error")
        return redirect(back)
    if step is None:
        flash(request, "Nothing to undo.", "warn")
    else:
        what = said(step.main.before, app.zone())
        flash(request, f"Undone: {what} is back as it was.")
    return redirect(back)


routes: list[BaseRoute] = [Route("/undo", undo, methods=["POST"])]
