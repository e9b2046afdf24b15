"""Issue #18, items 5 and 13: every response carries the security headers, error responses
included; a server bound to another loopback address answers on the address it printed."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.web import security
from rollminder.web.app import create_app

HEADERS = {k.decode(): v.decode() for k, v in security.SECURITY_HEADERS}


def has_security_headers(headers: object) -> bool:
    return all(headers.get(k) == v for k, v in HEADERS.items())  # type: ignore[attr-defined]


def test_a_refused_host_gets_the_security_headers(env: Env) -> None:
    app = create_app(env, start_reminders=False)
    with TestClient(app, base_url="http://rebound.example:8765") as c:
        response = c.get("/")
    assert response.status_code == 421
    assert has_security_headers(response.headers)


def test_the_500_page_gets_the_security_headers(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from rollminder.usecases.plans import PlanCases

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a damaged row")

    monkeypatch.setattr(PlanCases, "plan", broken)
    app = create_app(env, start_reminders=False)
    with TestClient(app, base_url="http://127.0.0.1:8765", raise_server_exceptions=False) as c:
        response = c.get("/")
    assert response.status_code == 500 and "Traceback" not in response.text
    assert has_security_headers(response.headers)


def test_a_server_bound_to_another_loopback_address_answers_there(env: Env) -> None:
    app = create_app(env, host="127.0.0.2", start_reminders=False)
    with TestClient(app, base_url="http://127.0.0.2:8765") as c:
        assert c.get("/", follow_redirects=False).status_code in (200, 303)
    with TestClient(app, base_url="http://127.0.0.3:8765") as c:
        assert c.get("/").status_code == 421  # only the address it is bound to
