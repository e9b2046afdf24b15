"""/damaged: the stored rows rollminder cannot read (issue 18 item 6), each with a button that
deletes it. Every page that leaves such a row out names it and points here; the CLI's
counterpart is ``rollminder doctor``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder.web import forms
from rollminder.web.kit import render, service


async def damaged_page(request: Request, message: str = "") -> Response:
    rows = service(request).damaged_rows()
    return render(request, "damaged.html", rows=rows, message=message)


async def delete_row(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    table = forms.text(form, "table")
    rowid = forms.whole(form, "rowid", "Row")
    if rowid is not None and app.delete_damaged_row(table, rowid):
        message = f"Deleted the {table} row that could not be read."
    else:
        message = "That row is not a damaged row (any more): nothing was deleted."
    return await damaged_page(request, message)


routes: list[BaseRoute] = [
    Route("/damaged", damaged_page, methods=["GET"]),
    Route("/damaged/delete", delete_row, methods=["POST"]),
]
