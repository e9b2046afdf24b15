"""The "Why?" page: where each rule the app applies comes from (DOMAIN.md, "How sources reach a
person": the detailed sources sit here, behind the "Why?" links, never in the main text)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import guide, rules
from rollminder.web.kit import render


async def why_page(request: Request) -> Response:
    return render(
        request,
        "why.html",
        needles=rules.NEEDLE_TABLE,
        rules=rules,
        prep=guide.PREP_SOURCE,
        aftercare=guide.AFTERCARE_SOURCE,
        stop=rules.STOP_QUESTIONS,
    )


routes: list[BaseRoute] = [Route("/why", why_page, methods=["GET"])]
