"""The request toolbox every page module uses: the facade of this request, rendering with the
shared context, flash messages, redirects and the CSRF token. :mod:`rollminder.web.app` builds the
app; the page modules import this module, never app.py.

- Endpoints are ``async def`` and call :func:`service` for the :class:`Rollminder` of this
  request, kept open per thread between requests (:class:`AppCache`). SQLite connections are
  single-thread, so do the work in the endpoint itself (not in a thread pool).
- :func:`render` renders a template with ``request``, ``csrf_token``, ``app`` (the facade),
  ``flash`` (messages set with :func:`flash` before a redirect), ``nav`` and the given context.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.templating import Jinja2Templates

from rollminder.env import Env
from rollminder.model import Routine
from rollminder.service import Rollminder
from rollminder.web import security

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

#: Request bodies: forms are small; the import upload may be larger (the CLI allows 50 MB).
MAX_FORM_BYTES = 256 * 1024
MAX_IMPORT_BYTES = 10 * 1024 * 1024
#: An export with photos (a zip, Settings or the account page) read back through the same form:
#: a year of photos every four weeks at four angles is about 100 MB.
MAX_ZIP_IMPORT_BYTES = 200 * 1024 * 1024
IMPORT_PATH = "/settings/import"

_APP_KEY = "rollminder.app"

NAV = (
    ("/", "Today"),
    ("/session", "Session"),
    ("/log", "Log"),
    ("/history", "History"),
    ("/settings", "Settings"),
)


# -- per-request facade ---------------------------------------------------------------------------


class AppCache:
    """One open facade (and so one open store) per thread, kept between requests (opening one
    costs about as much as answering the dashboard). Endpoints are ``async def``, so in practice
    this is one on the event loop's thread. It is reopened when the UTC day changes (opening takes
    the daily backup), after a storage error, and after a restore; all are closed at shutdown."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self._local = threading.local()
        self._open: weakref.WeakSet[Rollminder] = weakref.WeakSet()

    def get(self, routine: str | None = None) -> Rollminder:
        """The open facade; with ``routine`` (a routine's id), the facade of that routine on the
        same store (kept too, so figures cached for it are found again)."""
        day = self.env.now().astimezone(dt.UTC).date()
        entry: tuple[Rollminder, dt.date] | None = getattr(self._local, "entry", None)
        if entry is None or entry[1] != day:
            self.reset()
            app = self.env.open_app(live=True)  # a server runs on: its clock is read per use case
            self._local.entry = (app, day)
            self._local.routines = {}
            self._open.add(app)
            entry = (app, day)
        if routine is None:
            return entry[0]
        kept: dict[str, Rollminder] = self._local.routines
        if routine not in kept:
            kept[routine] = entry[0].for_routine(routine)
        return kept[routine]

    def reset(self) -> None:
        """Close this thread's store; the next request opens a fresh one."""
        entry = getattr(self._local, "entry", None)
        self._local.entry = None
        self._local.routines = {}
        if entry is not None:
            self._open.discard(entry[0])
            with contextlib.suppress(Exception):
                entry[0].close()

    def close_all(self) -> None:
        self.reset()
        for app in list(self._open):
            with contextlib.suppress(Exception):  # another thread's connection: GC closes it
                app.close()


def service(request: Request, *, per_routine: bool = True) -> Rollminder:
    """The :class:`Rollminder` for this request, bound to the routine chosen (issue 12): the
    ``?routine=`` query (a routine's name or id; an unknown one is a one-line 404), which is then
    remembered in the signed session cookie, else the one remembered, else the first.

    ``per_routine=False`` (the feed and the action links, whose token is the credential): the
    profile's facade, whatever the cookie says; the session is not read (no ``Vary: Cookie``)."""
    app = request.scope.get(_APP_KEY)
    if app is None:
        apps: AppCache = request.app.state.apps
        app = apps.get()  # opened once: hosted mode opens a facade per call
        routine = chosen_routine(request, app) if per_routine else None
        if routine is not None:
            app = apps.get(routine)
        request.scope[_APP_KEY] = app
    assert isinstance(app, Rollminder)
    return app


ROUTINE_KEY = "routine"


_ROUTINES_KEY = "rollminder.routines"


def routines_of(request: Request, app: Rollminder) -> list[Routine]:
    """The profile's routines, read once per request (the switch, the page and its menu all ask;
    on PostgreSQL each read is a round trip). Pages that add a routine answer with a redirect."""
    kept = request.scope.get(_ROUTINES_KEY)
    if kept is not None and kept[0] is app.raw:
        return list(kept[1])
    found = app.raw.routines()
    request.scope[_ROUTINES_KEY] = (app.raw, found)
    return list(found)


def chosen_routine(request: Request, app: Rollminder) -> str | None:
    """The id of the routine this request works on (None: the first, or the profile has no
    routine yet). Checked against the profile's routines on every request."""
    found = routines_of(request, app)
    has_session = "session" in request.scope
    asked = request.query_params.get(ROUTINE_KEY)
    if asked is not None and found:
        rid = app.find_routine(asked).id  # NotFound: "No routine X: your routines are ..."
        if has_session:
            request.session[ROUTINE_KEY] = rid
        return None if rid == found[0].id else rid
    kept = request.session.get(ROUTINE_KEY) if has_session else None
    if isinstance(kept, str) and kept:
        ids = [r.id for r in found]
        if kept in ids[1:]:
            return kept
        if kept not in ids:
            request.session.pop(ROUTINE_KEY, None)  # removed since: back to the first
    return None


def routine_switch(request: Request) -> list[tuple[str, bool]]:
    """The switcher's entries, (name, current), when the profile has several routines; [] with
    one (a person with one routine sees no switcher)."""
    app = request.scope.get(_APP_KEY)
    if not isinstance(app, Rollminder):
        return []
    found = routines_of(request, app)
    if len(found) < 2:
        return []
    current = app.routine_id or found[0].id
    return [(r.name, r.id == current) for r in found]


def reset_store(request: Request) -> None:
    """Close the store (before a restore replaces the file under it, or after an error)."""
    request.scope.pop(_APP_KEY, None)
    request.scope.pop(_ROUTINES_KEY, None)
    request.app.state.apps.reset()


# -- rendering -----------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = security.new_token()
        request.session["csrf"] = token
    return token


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A one-line message shown on the next page rendered (after a redirect)."""
    messages = list(request.session.get("flash", []))[-4:]
    messages.append([kind, " ".join(str(message).split())[:500]])
    request.session["flash"] = messages


def flash_undo(request: Request, message: str) -> None:
    """A message after an edit or a deletion: the next page shows it with an Undo button (a
    small form posting to /undo), for that page view only."""
    flash(request, message, "undo")


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` with the shared context (see the module docstring)."""
    templates: Jinja2Templates = request.app.state.templates
    # An htmx fragment leaves the flash messages for the next full page.
    keep = is_htmx(request) or "session" not in request.scope
    messages = [] if keep else request.session.pop("flash", [])
    token = csrf_token(request) if "session" in request.scope else ""
    base: dict[str, Any] = {
        "csrf_token": token,
        "flash": messages,
        "nav": getattr(request.app.state, "nav", NAV),  # hosted mode adds Account
        "path": request.url.path,
        "logged_in": bool(request.session.get("user")) if "session" in request.scope else False,
        "password_on": request.app.state.password_on,
    }
    if "app" not in context and _APP_KEY in request.scope:
        base["app"] = request.scope[_APP_KEY]
    if _APP_KEY in request.scope and not is_htmx(request):
        try:
            base["routine_switch"] = routine_switch(request)
        except Exception:  # the switcher must never break the page it sits on
            base["routine_switch"] = []
    if _APP_KEY in request.scope and not keep:
        warning = skipped_warning(request.scope[_APP_KEY])
        if warning:
            base["flash"] = [*messages, ["warn", warning]]
    base.update(context)
    response = templates.TemplateResponse(request, name, base, status_code=status_code)
    response.headers.setdefault("cache-control", "no-store")
    return response


def skipped_warning(app: Rollminder) -> str:
    """One line naming the stored rows this page left out because they cannot be read (issue
    18), or ""."""
    try:
        rows = app.skipped_rows()
    except Exception:  # the warning must never break the page it sits on
        return ""
    if not rows:
        return ""
    named = ", ".join(row.label for row in rows[:3]) + (" and more" if len(rows) > 3 else "")
    return (
        f"{len(rows)} stored row{'s' if len(rows) != 1 else ''} cannot be read and "
        f"{'are' if len(rows) != 1 else 'is'} left out: {named}. Delete or fix on /damaged "
        "(Settings, Damaged rows), or with 'rollminder doctor'."
    )


#: Where the public URL set in Settings is kept: a "web:" row of the profile's settings (never
#: exported: it is where this server is reached, not the person's data).
PUBLIC_URL_KEY = "public_url"


def check_public_url(text: str) -> tuple[str, str]:
    """``serve --public-url``: an http(s) URL with a host name; returns it without a trailing
    slash, and its host name. Anything else raises :class:`InvalidInput` (one line)."""
    from urllib.parse import urlsplit

    from rollminder.errors import InvalidInput
    from rollminder.limits import shown

    bad = InvalidInput(
        f"The public URL must be an http:// or https:// address such as "
        f"https://roll.example.org, not {shown(text)[:200]!r}."
    )
    if len(text) > 2000 or not text.isprintable() or any(c.isspace() for c in text):
        raise bad
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise bad from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        raise bad
    if port is not None and not 0 < port < 65536:
        raise bad
    return text.rstrip("/"), host


def stored_public_url(app: Rollminder) -> str | None:
    """The public URL set in Settings, or None."""
    value = app.secret(PUBLIC_URL_KEY)
    return value.rstrip("/") if value else None


def public_base(request: Request, app: Rollminder) -> str:
    """The address links to this app start with (Done/Snooze, the feed, QR codes): ``serve
    --public-url``, else the one set in Settings, else the address of this request."""
    fixed = getattr(request.app.state, "public_url", None)
    if fixed:
        return str(fixed)
    return stored_public_url(app) or str(request.base_url).rstrip("/")


def only_this_computer(request: Request, app: Rollminder) -> bool:
    """Whether a phone cannot reach this app: bound to loopback and no public URL."""
    if getattr(request.app.state, "public_url", None) or stored_public_url(app):
        return False
    return security.is_loopback(str(getattr(request.app.state, "host", "127.0.0.1")))


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def back_path(request: Request, fallback: str = "/") -> str:
    """The page a form came from (same origin only), to link back to after an error."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return fallback
    path = parts.path or fallback
    if not path.startswith("/") or path.startswith("//"):
        return fallback
    return path + (f"?{parts.query}" if parts.query else "")


def sentence(text: object) -> str:
    """The first letter in capitals, the rest as it was (Jinja's capitalize lowercases names)."""
    value = str(text)
    return value[:1].upper() + value[1:]


@jinja2.pass_context
def _csrf_field(context: Any) -> Markup:
    """``{{ csrf_field() }}``: the hidden CSRF input of a form."""
    token = context.get("csrf_token", "")
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(token)}">')


def templates() -> Jinja2Templates:
    """The app's templates, with the helpers every page uses."""
    found = Jinja2Templates(directory=str(TEMPLATES))
    found.env.globals["csrf_field"] = _csrf_field
    found.env.filters["sentence"] = sentence
    return found
