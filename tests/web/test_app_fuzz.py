"""Every form route, fuzzed: whatever the fields hold, the answer is never a 500, and a refused
request (4xx) comes with a one-line message and changes nothing."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from rollminder import transfer
from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.app import create_app
from tests.web.common import BASE, NOW

#: Each form route with the fields its form has.
FORMS: dict[str, tuple[str, ...]] = {
    "/welcome/preview": ("needle_mm", "days", "time", "tz", "minutes", "zones_given", "zones"),
    "/log/session": ("at", "minutes", "zones", "reaction", "note"),
    "/log/skip": ("slot", "reason"),
    "/log/pause": ("first", "last", "reason"),
    "/log/roller": ("label", "needle_mm", "first_use", "uses"),
    "/log/visit": ("at", "clinic", "note", "series"),
    "/log/series": ("name", "count", "spacing_weeks"),
    "/settings/plan": (
        "needle_mm",
        "days",
        "time",
        "tz",
        "minutes",
        "rest_hours",
        "passes",
        "blackout_before_days",
        "blackout_after_days",
        "zones_given",
        "zones",
    ),
    "/settings/limits": ("roller_max_uses", "roller_max_days"),
    "/settings/restore": ("name", "confirm"),
    "/settings/channels/test": ("name",),
    "/log/pause/abcd/cancel": (),
    "/log/roller/abcd/retire": (),
    "/log/session/abcd/delete": (),
    # Issue 18: the rest of the form routes.
    "/welcome": ("understood", "needle_mm", "days", "time", "tz", "minutes", "zones"),
    "/log/session/abcd/edit": ("at", "minutes", "zones", "reaction", "note"),
    "/log/skip/abcd/edit": ("slot", "reason"),
    "/log/visit/abcd/delete": (),
    "/log/resume": (),
    "/session/log": ("rolled_seconds", "elapsed_seconds", "zones", "reaction", "note"),
    "/session/check": ("answer", "until", "reaction"),
    "/settings/channels/remove": ("name",),
    "/damaged/delete": ("table", "rowid"),
    "/logout": (),
    "/login": ("password", "next"),
}

values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "0.25",
            "1e309",
            "nan",
            "2026-11-20",
            "2026-11-20T21:00",
            "9999-12-31T23:59",
            "0001-01-01",
            "21:00",
            "25:99",
            "mon",
            "cheeks",
            "Europe/Berlin",
            "../etc",
            "<script>alert(1)</script>",
            "\x00",
            "yes",
            # Issue 18: huge integers, terminal controls, bidi overrides, very long text.
            "9" * 400,
            "-" + "9" * 40,
            "1e99999",
            "\x1b[31mred",
            "\u009b2J",
            "\u202eevil",
            "line\nbreak\r\n",
            "x" * 100_000,
        ]
    ),
    st.integers(-(10**12), 10**12).map(str),
    st.integers(10**18, 10**60).map(str),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp"]), max_size=10),
)


def snapshot(env: Env) -> str:
    with env.open_store() as store:
        return transfer.export_json(store, exported_at=NOW)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    home = Path(tmp_path_factory.mktemp("fuzz")) / "home"
    env = Env(home=home, clock=lambda: NOW)
    with env.open_store() as store:
        Rollminder(store, env.now).set_plan(needle_mm=0.25, tz="Europe/Berlin")
    client = TestClient(create_app(env, start_reminders=False), base_url=BASE)
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/").text)
    assert token
    client.headers["X-CSRF-Token"] = token.group(1)
    client.env = env  # type: ignore[attr-defined]
    return client


@pytest.mark.parametrize("path", sorted(FORMS))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_form_routes_never_fail_and_refusals_change_nothing(
    client: TestClient, path: str, data: st.DataObject
) -> None:
    env: Env = client.env  # type: ignore[attr-defined]
    fields = FORMS[path]
    form: dict[str, str | list[str]] = {}
    for name in fields:
        if data.draw(st.booleans(), label=f"has {name}"):
            many = data.draw(st.lists(values, max_size=3), label=name)
            form[name] = many if name in ("days", "zones") else (many[0] if many else "")
    before = snapshot(env)
    response = client.post(path, data=form, follow_redirects=False)
    assert response.status_code < 500, response.text[-500:]
    if response.status_code >= 400:
        assert snapshot(env) == before
        if "text/html" in response.headers.get("content-type", ""):
            found = re.search(r'<p class="msg error" role="alert">([^<]*)</p>', response.text)
            if path != "/welcome/preview":
                assert found, response.text[-500:]
                assert "\n" not in html.unescape(found.group(1))


#: Bytes no browser should send but anyone can: lone surrogates in CESU/WTF-8 form, bytes that
#: are not UTF-8 at all, NUL, overlong encodings, a key without a value, repeated keys.
RAW = st.sampled_from(
    [
        b"%ED%B3%BF",
        b"%ED%A0%80x",
        b"%FF%FE",
        b"%C0%AE%C0%AE",
        b"%00",
        b"\xff",
        b"%E2%80%AE",
        b"%C2%9B",
        b"9" * 500,
        b"%",
        b"%zz",
    ]
)


@pytest.mark.parametrize("path", sorted(FORMS))
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_raw_form_bytes_never_fail_and_refusals_change_nothing(
    client: TestClient, path: str, data: st.DataObject
) -> None:
    """Issue 18: surrogates and non-UTF-8 bytes in any field, sent as raw urlencoded bytes."""
    env: Env = client.env  # type: ignore[attr-defined]
    parts = []
    for name in FORMS[path] or ("x",):
        if data.draw(st.booleans(), label=f"has {name}"):
            parts.append(name.encode() + b"=" + data.draw(RAW, label=name))
    before = snapshot(env)
    response = client.post(
        path,
        content=b"&".join(parts),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code < 500, response.text[-500:]
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert snapshot(env) == before
