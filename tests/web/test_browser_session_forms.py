"""The guided session's forms from the server side, over real HTTP on loopback (no browser): CSRF,
refusals with a message (4xx, never 500) that change nothing, and a fuzz of both forms."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollminder import rules
from rollminder.env import Env
from tests.web.conftest import LiveServer, make_plan, serve


class Client:
    """A cookie-keeping HTTP client that knows the session's CSRF token."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self.get("/session/go")[1]
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match
        self.token = match.group(1)

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.server.url + path))

    def post(self, path: str, fields: dict[str, str], *, csrf: bool = True) -> tuple[int, str]:
        data = dict(fields)
        if csrf:
            data["csrf_token"] = self.token
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.server.url + path, data=body))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()


def _counts(server: LiveServer) -> tuple[int, int]:
    return server.read(lambda app: (len(app.history()), len(app.skips())))  # type: ignore[no-any-return]


GOOD_LOG = {"rolled_seconds": "170", "elapsed_seconds": "200", "zones": "forehead,cheeks"}


def test_log_without_csrf_token_is_refused(live_server_with_plan: LiveServer) -> None:
    client = Client(live_server_with_plan)
    status, _ = client.post("/session/log", GOOD_LOG, csrf=False)
    assert status == 403
    assert _counts(live_server_with_plan) == (0, 0)
    status, _ = client.post("/session/log", GOOD_LOG)
    assert status == 200  # after the redirect to /session/logged
    assert _counts(live_server_with_plan) == (1, 0)


def test_log_refusals_say_why(live_server_with_plan: LiveServer) -> None:
    client = Client(live_server_with_plan)
    cases = [
        ({**GOOD_LOG, "rolled_seconds": "0"}, "Nothing was rolled"),
        ({**GOOD_LOG, "rolled_seconds": "abc"}, "whole number"),
        ({**GOOD_LOG, "rolled_seconds": "999999"}, "between"),
        ({**GOOD_LOG, "zones": "eyelids"}, "Say which zones"),
        ({**GOOD_LOG, "zones": ""}, "Say which zones"),
        ({**GOOD_LOG, "reaction": "awful"}, "The reaction is one of"),
        ({**GOOD_LOG, "elapsed_seconds": "-5"}, "between"),
        ({**GOOD_LOG, "note": "x" * 2001}, "note"),
    ]
    for fields, message in cases:
        status, page = client.post("/session/log", fields)
        assert 400 <= status < 500, fields
        assert message in page, (fields, page[:300])
    assert _counts(live_server_with_plan) == (0, 0)


def test_guide_overrides_are_checked(live_server_with_plan: LiveServer) -> None:
    client = Client(live_server_with_plan)
    assert client.get("/session/guide.json?zones=neck&minutes=2")[0] == 200
    for query in ("zones=lips", "minutes=0", "minutes=abc", "minutes=31"):
        status, _ = client.get(f"/session/guide.json?{query}")
        assert status == 400, query


def test_check_needs_every_answer_and_refuses_future_dates(
    live_server_with_plan: LiveServer,
) -> None:
    client = Client(live_server_with_plan)
    status, page = client.post("/session/check", {"q_skin": "no"})
    assert status == 400 and "Answer every question" in page
    answers = {f"q_{q.key}": "no" for q in rules.STOP_QUESTIONS}
    status, page = client.post(
        "/session/check", {**answers, "q_peel": "yes", "date_peel": "2999-01-01"}
    )
    assert status == 400 and "future" in page
    status, page = client.post("/session/check", {**answers, "q_peel": "yes", "date_peel": "x"})
    assert status == 400 and "YYYY-MM-DD" in page
    assert _counts(live_server_with_plan) == (0, 0)


FIELD_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "0", "-1", "60", "1e9", "nan", "yes", "no", "forehead", "neck,chest"]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["rolled_seconds", "elapsed_seconds", "zones", "reaction", "note"]
            + [f"q_{q.key}" for q in rules.STOP_QUESTIONS]
            + [f"date_{q.key}" for q in rules.STOP_QUESTIONS if q.asks_date]
            + [f"time_{q.key}" for q in rules.STOP_QUESTIONS if q.asks_date]
        ),
        FIELD_TEXT,
        max_size=8,
    ),
    path=st.sampled_from(["/session/log", "/session/check"]),
)
def test_fuzzed_session_forms_never_fail_with_500(
    fuzz_server: tuple[LiveServer, Client], fields: dict[str, str], path: str
) -> None:
    server, client = fuzz_server
    before = _counts(server)
    status, _ = client.post(path, fields)
    assert status < 500
    if status >= 400:
        assert _counts(server) == before  # a refusal changes nothing


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Client]]:
    """One server for all the fuzz examples (hypothesis runs them in one test call)."""
    env = Env(home=tmp_path_factory.mktemp("fuzz") / "home")
    make_plan(env)
    for server in serve(env):
        yield server, Client(server)
