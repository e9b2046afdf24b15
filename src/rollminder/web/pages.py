"""The dashboard and the first-run wizard."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder.web.app import render, service


async def dashboard(request: Request) -> Response:
    app = service(request)
    status, slots = app.next(4)
    return render(request, "dashboard.html", status=status, slots=slots)


routes: list[BaseRoute] = [Route("/", dashboard, name="dashboard")]
