"""Settings: the plan, roller limits, reminder channels, the calendar feed and action links (with
their rotatable tokens and a QR code); its export, import and backups are in :mod:`.yourdata`."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import limits, rules
from rollminder.errors import InvalidInput, RollminderError
from rollminder.guide import DIRECTION_LABELS, ZONE_LABELS
from rollminder.model import ALL_DIRECTIONS, ALL_ZONES, WEEKDAYS
from rollminder.service import Rollminder
from rollminder.web import forms, security
from rollminder.web.kit import (
    IMPORT_PATH,
    MAX_ZIP_IMPORT_BYTES,
    PUBLIC_URL_KEY,
    check_public_url,
    flash,
    only_this_computer,
    public_base,
    redirect,
    render,
    service,
    stored_public_url,
)
from rollminder.web.pages import DAY_NAMES
from rollminder.web.zonelist import zone_options


def qr_svg(text: str, title: str = "QR code of the link") -> str:
    import segno

    code = segno.make(text, error="m")
    return str(code.svg_inline(scale=4, dark="#000", light="#fff", title=title))


def _links(request: Request, app: Rollminder) -> dict[str, str]:
    base = public_base(request, app)
    feed = f"{base}/feed/{app.token(security.FEED_TOKEN)}.ics"
    act = app.token(security.ACTION_TOKEN)
    webcal = "webcal://" + feed.split("://", 1)[1]
    return {
        "feed": feed,
        "webcal": webcal,
        # Links the person clicks (nothing loads from these sites with the page). Apple Calendar
        # opens webcal:// itself; Google and Outlook fetch the feed from their own servers.
        "google": "https://calendar.google.com/calendar/render?" + urlencode({"cid": webcal}),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?"
        + urlencode({"url": feed, "name": "rollminder"}, quote_via=quote),
        "done": f"{base}/act/{act}/done",
        "snooze": f"{base}/act/{act}/snooze",
    }


def feed_links(request: Request, app: Rollminder) -> dict[str, str]:
    """The calendar feed's links and the Done/Snooze links (onboarding's last step shows them)."""
    return _links(request, app)


#: The plan form's fields, in the order their errors are looked for.
PLAN_FIELDS = (
    "needle_mm",
    "days",
    "time",
    "tz",
    "minutes",
    "rest_days",
    "rest_hours",
    "passes",
    "blackout_before_days",
    "blackout_after_days",
    "zones",
    "directions",
)
#: The other settings' fields: (field, label for errors).
SETTING_FIELDS = (
    ("roller_max_uses", "Roller uses"),
    ("roller_max_days", "Roller days"),
    ("prep_minutes", "The prep reminder's minutes"),
)


def page(
    request: Request,
    app: Rollminder,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, object] | None = None,
) -> Response:
    """The settings page; after a refused form, with what was typed and the messages."""
    plan = app.plan()
    links = _links(request, app)
    env = request.app.state.env
    typed = typed or {}
    return render(
        request,
        "settings.html",
        status,
        plan=plan,
        settings=app.settings(),
        weekdays=list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
        zones=[(z, ZONE_LABELS[z]) for z in ALL_ZONES],
        chosen_zones=typed.get("zones", plan.zones),
        chosen_days=typed.get("days", [WEEKDAYS[d] for d in plan.weekdays]),
        directions=[(d, DIRECTION_LABELS[d]) for d in ALL_DIRECTIONS],
        chosen_directions=typed.get("directions", plan.directions),
        needle_table=rules.NEEDLE_TABLE,
        floor_days=-(-rules.needle_rule(plan.needle_mm).floor_hours // 24),
        links=links,
        qr=qr_svg(links["feed"], "QR code of the calendar feed link"),
        channels=app.list_channels(),
        reachable=app.reachable(),
        zone=app.zone(),
        backups=list(reversed(env.backups())),
        import_path=IMPORT_PATH,
        max_import_mb=request.app.state.max_import_bytes / (1024 * 1024),
        max_zip_mb=MAX_ZIP_IMPORT_BYTES / (1024 * 1024),
        errors=errors or {},
        typed=typed,
        zone_options=zone_options(),
        local_only=only_this_computer(request, app),
        public_fixed=getattr(request.app.state, "public_url", None),
        public_stored=stored_public_url(app) or "",
        host=request.app.state.host,
    )


async def settings_page(request: Request) -> Response:
    return page(request, service(request))


def _typed(form: FormData) -> dict[str, object]:
    """What the form held, to show it again after a refusal."""
    out: dict[str, object] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        if key in ("days", "zones", "directions"):
            out[key] = values
        elif values:
            out[key] = values[0][:200]
    for key in ("days", "zones", "directions"):
        out.setdefault(key, [])
    return out


def plan_errors(app: Rollminder, form: FormData) -> tuple[dict[str, object], dict[str, str]]:
    """The plan's changes, and per field what is wrong: each field is read alone, then the
    changes are drafted one field at a time, so a refusal is told next to its field."""
    errors: dict[str, str] = {}
    parsed: list[tuple[str, dict[str, object]]] = []
    for field in PLAN_FIELDS:
        part = FormData([(k, v) for k, v in form.multi_items() if k in (field, f"{field}_given")])
        try:
            found = forms.plan_choices(part)
        except InvalidInput as exc:
            errors[field] = exc.message
            continue
        if found:
            parsed.append((field, found))
    changes: dict[str, object] = {}
    for field, found in parsed:
        trial = {**changes, **found}
        try:
            app.draft_plan(**trial)
        except RollminderError as exc:
            errors[field] = exc.message
            continue
        changes = trial
    return changes, errors


async def save_plan(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    changes, errors = plan_errors(app, form)
    if errors:
        return page(request, app, status=400, errors=errors, typed=_typed(form))
    plan = app.set_plan(**changes)
    flash(
        request,
        f"Plan saved: {rules.period_phrase(plan.sessions, plan.every_weeks)} at "
        f"{plan.time:%H:%M} ({plan.tz}).",
    )
    warning = rules.plan_warning(plan)
    if warning:
        flash(request, warning, "warn")
    return redirect("/settings")


async def save_limits(request: Request) -> Response:
    """Roller limits, the prep reminder's lead and the pre-session check."""
    app = service(request)
    form = await request.form()
    changes: dict[str, int] = {}
    errors: dict[str, str] = {}
    for key, what in SETTING_FIELDS:
        try:
            value = forms.whole(form, key, what)
            if value is not None:
                changes[key] = limits.setting(key, value)
        except InvalidInput as exc:
            errors[key] = exc.message
    if "session_check_given" in form:
        changes["session_check"] = 1 if form.get("session_check") == "1" else 0
    if errors:
        return page(request, app, status=400, errors=errors, typed=_typed(form))
    app.set_settings(**changes)
    flash(request, "Settings saved.")
    return redirect("/settings#rollers")


# -- reminder channels ---------------------------------------------------------------------------


async def add_channel(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    url = forms.text(form, "url")
    if not url:
        raise InvalidInput("Give the channel's URL, e.g. ntfy://my-topic or mailto://...")
    added = app.add_channel(url, forms.text(form, "name") or None)
    flash(request, f"Channel {added.name} added ({added.url}).")
    return redirect("/settings#reminders")


async def remove_channel(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    app.remove_channel(forms.text(form, "name"))
    flash(request, "Channel removed.")
    return redirect("/settings#reminders")


async def test_channel(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    results = app.test_channels(forms.text(form, "name") or None)
    if not results:
        flash(request, "No channel is set up yet: add one above.", "error")
    for r in results:
        if r.error:
            flash(request, f"{r.name}: failed ({r.error})", "error")
        else:
            flash(request, f"{r.name}: sent")
    return redirect("/settings#reminders")


# -- the public URL ------------------------------------------------------------------------------


async def save_public_url(request: Request) -> Response:
    """The address people reach this app at (as ``serve --public-url``; that one wins): used by
    the Done/Snooze links, the feed and the QR codes. Empty removes it. A refused one shows the
    page again with it as typed and the message next to the field."""
    app = service(request)
    form = await request.form()
    text = forms.text(form, "public_url")
    if not text:
        app.delete_secret(PUBLIC_URL_KEY)
        flash(request, "Public address removed: links use the address you open the app at.")
        return redirect("/settings#links")
    try:
        url, _ = check_public_url(text)
    except InvalidInput as exc:
        return page(
            request,
            app,
            status=400,
            errors={"public_url": exc.message},
            typed={
                "public_url": text[:300],
                "session_check": "1" if app.settings().session_check else "",
            },
        )
    app.put_secret(PUBLIC_URL_KEY, url)
    flash(request, f"Links now start with {url}.")
    return redirect("/settings#links")


# -- tokens --------------------------------------------------------------------------------------


async def rotate_token(request: Request) -> Response:
    app = service(request)
    which = request.path_params["which"]
    names = {"feed": security.FEED_TOKEN, "actions": security.ACTION_TOKEN}
    if which not in names:
        raise HTTPException(404)
    app.rotate_token(names[which])
    flash(
        request,
        "New calendar link made: the old one no longer works; subscribe again with the new one."
        if which == "feed"
        else "New Done/Snooze links made: the old ones no longer work.",
    )
    return redirect("/settings#links")


routes: list[BaseRoute] = [
    Route("/settings", settings_page, methods=["GET"]),
    Route("/settings/plan", save_plan, methods=["POST"]),
    Route("/settings/limits", save_limits, methods=["POST"]),
    Route("/settings/channels/add", add_channel, methods=["POST"]),
    Route("/settings/channels/remove", remove_channel, methods=["POST"]),
    Route("/settings/channels/test", test_channel, methods=["POST"]),
    Route("/settings/rotate/{which}", rotate_token, methods=["POST"]),
    Route("/settings/public-url", save_public_url, methods=["POST"]),
]
