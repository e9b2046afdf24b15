"""Apprise channels against real receivers on loopback (a JSON webhook, ntfy, an SMTP server),
through the CLI as a person runs it; faults (500 then recovery, a receiver that is down); bad
input; secrets masked everywhere; the files holding them owner-only."""

from __future__ import annotations

import datetime as _dt
import datetime as dt
import email
import email.policy
import json
import stat
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rollminder.remind import engine
from rollminder.remind.channels import AppriseChannel, mask_url
from rollminder.remind.records import ChannelConfig
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore
from tests.conftest import Runner
from tests.remind_receivers import dead_port, http_receiver, smtp_receiver

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

SLOT = "2026-11-26T21:00+01:00"  # the planned fixture's first slot (Thu 21:00 Berlin)
PREP = "2026-11-26T20:45+01:00"


def test_json_webhook_gets_the_prep_and_the_session_reminder(planned: Runner) -> None:
    with http_receiver() as rx:
        added = planned("channel", "add", f"json://{rx.base}/hook", "--name", "hook")
        assert added.code == 0, added.err
        assert planned("remind", now="2026-11-26T20:00+01:00").out == "Nothing due now.\n"
        first = planned("remind", now=PREP)
        assert first.out == "Sent the reminder to start soaking your roller via hook.\n"
        second = planned("remind", now=SLOT)
        assert second.out == "Sent the reminder to roll via hook.\n"
        assert planned("remind", now="2026-11-26T21:00:30+01:00").out == "Nothing due now.\n"
        got = rx.wait(2)
    assert len(got) == 2 and {g.path for g in got} == {"/hook"}
    prep, session = got[0].json(), got[1].json()
    assert prep["title"] == "Session at 21:00: start soaking your roller"
    assert "70% isopropyl alcohol" in prep["message"]
    assert session["title"] == "Time to roll: forehead, cheeks, chin, about 3 min"


def test_ntfy_gets_the_reminder(planned: Runner) -> None:
    with http_receiver() as rx:
        assert planned("channel", "add", f"ntfy://{rx.base}/roll-topic").code == 0
        assert "via ntfy" in planned("remind", now=SLOT).out
        got = rx.wait(1)
    assert len(got) == 1
    body = got[0].json()
    assert body["topic"] == "roll-topic"
    assert body["title"].startswith("Time to roll")


def test_email_through_apprise_mailto_reaches_a_real_smtp_server(planned: Runner) -> None:
    with smtp_receiver() as smtp:
        url = f"mailto://localhost:{smtp.port}?from=rollminder@example.com&to=me@example.com"
        assert planned("channel", "add", url, "--name", "mail").code == 0
        result = planned("remind", now=SLOT)
        assert result.out == "Sent the reminder to roll via mail.\n", result.err
        messages = smtp.wait(1)
    assert len(messages) == 1
    msg = email.message_from_bytes(messages[0])
    assert msg["Subject"].startswith("Time to roll")
    assert msg["To"] == "me@example.com"


def test_channel_test_list_and_remove(planned: Runner) -> None:
    with http_receiver() as rx:
        planned("channel", "add", f"json://{rx.base}/a", "--name", "a")
        tested = planned("channel", "test", "a")
        assert tested.out == "a: sent\n" and tested.code == 0
        assert rx.wait(1)[0].json()["title"] == "rollminder test"
        listing = planned("channel", "list", "--json", now="2026-11-25T10:05+01:00").json()
    assert [c["name"] for c in listing] == ["a"]
    assert listing[0]["last_error"] is None and listing[0]["failures"] == 0
    assert planned("channel", "remove", "a").code == 0
    assert planned("channel", "list", "--json").json() == []
    missing = planned("channel", "remove", "a")
    assert missing.code == 1 and missing.err.startswith("Error: No channel named 'a'")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nonsense"], "A channel is a URL"),
        (["bogus://x"], "Apprise cannot use"),
        ([""], "Give a channel URL"),
        (["json://127.0.0.1/x", "--name", "bad name!"], "Channel names are"),
        (["json://127.0.0.1/x", "--name", "x" * 41], "Channel names are"),
        (["json://127.0.0.1/\x01"], "control characters"),
    ],
)
def test_bad_channel_input_is_one_line_and_changes_nothing(
    planned: Runner, args: list[str], message: str
) -> None:
    result = planned("channel", "add", *args)
    assert result.code == 1 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and message in result.err
    assert "Traceback" not in result.err
    assert planned("channel", "list", "--json").json() == []


def test_duplicate_channels_and_bad_snooze_durations(planned: Runner) -> None:
    assert planned("channel", "add", "json://127.0.0.1/x", "--name", "x").code == 0
    again = planned("channel", "add", "json://127.0.0.1/x")
    assert again.code == 1 and "already set up" in again.err
    same_name = planned("channel", "add", "json://127.0.0.1/y", "--name", "x")
    assert same_name.code == 1 and "already a channel named" in same_name.err
    for bad in ("abc", "0", "-5", "13h"):
        result = planned("snooze", bad, now="2026-11-26T21:05+01:00")
        assert result.code in (1, 2) and len(result.err.strip().splitlines()) == 1, bad
    nothing_open = planned("snooze")
    assert nothing_open.code == 1 and "No session is open now" in nothing_open.err
    ok = planned("snooze", "45", now="2026-11-26T21:05+01:00")
    assert ok.out == "Snoozed: you will be reminded again at 21:50.\n"


def test_a_receiver_answering_500_gets_it_once_after_it_recovers() -> None:
    tz = ZoneInfo("Europe/Berlin")
    now = [dt.datetime(2026, 11, 26, 21, tzinfo=tz)]
    app = Rollminder(MemoryStore(), lambda: now[0])
    now[0] = dt.datetime(2026, 11, 25, 10, tzinfo=tz)
    app.set_plan(needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin")
    with http_receiver(fail_first=3) as rx:
        url = f"json://{rx.base}/hook"
        config = ChannelConfig(
            name="hook", url=url, masked=mask_url(url), kind="json", id="c1", created_at=T0
        )
        t = dt.datetime(2026, 11, 26, 21, tzinfo=tz)
        outcomes = []
        for _ in range(12):  # a pass at the slot, then every 20 s of the app's clock
            now[0] = t
            result = engine.run_pass(app, [config], channel_for=AppriseChannel)
            outcomes.append((len(result.sent), len(result.failed)))
            t += dt.timedelta(seconds=20)
        got = rx.wait(1, timeout=1)
    assert rx.refused == 3 and len(got) == 1  # delivered once, after the recovery
    # Tries at 0 s, 40 s (30 s backoff), 100 s (60 s), then 220 s (120 s): sent there.
    assert [i for i, (sent, failed) in enumerate(outcomes) if failed] == [0, 2, 5]
    assert [i for i, (sent, failed) in enumerate(outcomes) if sent] == [11]
    status = app.store.channel_statuses()["c1"]
    assert status.failures == 0 and "500" in status.last_error


def test_a_receiver_that_is_down_shows_in_channel_list(planned: Runner) -> None:
    url = f"json://user:s3cr3tpass@127.0.0.1:{dead_port()}/hook"
    assert planned("channel", "add", url, "--name", "down").code == 0
    result = planned("remind", now=SLOT)
    assert result.code == 0 and result.out == ""
    assert result.err.startswith("Could not send via down:")
    listing = planned("channel", "list", now="2026-11-26T21:00:10+01:00")
    assert "FAILING (1x, retry 21:00)" in listing.out
    info = planned("channel", "list", "--json").json()[0]
    assert info["failures"] == 1 and info["last_error"]
    assert info["retry_at"].startswith("2026-11-26T20:00:30")  # 30 s after the failure
    assert result.err.count("\n") == 1 and "Connection error" in result.err
    for text in (result.err, listing.out, json.dumps(info)):
        assert "s3cr3tpass" not in text


def test_secrets_never_show(planned: Runner, home: Path) -> None:
    urls = {
        "hook": "json://user:s3cr3tpass@127.0.0.1:9/hook",
        "topic": "ntfys://ntfy.sh/my-private-topic-123",
        "tg": "tgram://123456789:AAEsecretbottokenvalue/987654",
        "mail": "mailto://bob:mailpa55word@example.com",
    }
    shown = []
    for name, url in urls.items():
        result = planned("channel", "add", url, "--name", name)
        assert result.code == 0, result.err
        shown.append(result.out)
    shown.append(planned("channel", "list").out)
    shown.append(planned("channel", "list", "--json").out)
    shown.append(planned("channel", "remove", "tg").out)
    text = "\n".join(shown)
    for secret in ("s3cr3tpass", "my-private-topic-123", "AAEsecretbottokenvalue", "mailpa55word"):
        assert secret not in text
    # The user, the password and a webhook's whole path are hidden (issue 18, item 7).
    assert "json://****:****@127.0.0.1:9/****" in text
    assert not (home / "error.log").exists()


def test_the_files_holding_secrets_are_owner_only(planned: Runner, home: Path) -> None:
    db = home / "rollminder.db"
    db.chmod(0o644)  # as a careless restore might leave it
    assert planned("channel", "add", "ntfys://ntfy.sh/my-private-topic-123").code == 0
    files = [p for p in (home / "rollminder.db-wal", home / "rollminder.db-shm") if p.exists()]
    files += [db, *(home / "backups").iterdir()]
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_mask_url_forms() -> None:
    assert mask_url("desktop://") == "desktop://"
    assert mask_url("ntfy://ntfy.sh/abcdefgh") == "ntfy://ntfy.sh/a...h"
    assert "hunter22" not in mask_url("weird://me:hunter22@host/path")
    assert mask_url("weird://me:hunter22@host/averylongtoken").endswith("/a...n")


def test_channel_test_reports_a_failure_and_exits_1(planned: Runner) -> None:
    assert planned("channel", "add", f"json://127.0.0.1:{dead_port()}/x", "--name", "x").code == 0
    result = planned("channel", "test", "x")
    assert result.code == 1 and result.out.startswith("x: failed (")


def test_prep_minutes_is_a_setting(planned: Runner) -> None:
    assert planned("settings", "--prep-minutes", "20", "--json").json()["prep_minutes"] == 20
    assert "20 minutes before each session" in planned("settings").out
    bad = planned("settings", "--prep-minutes", "999")
    assert bad.code == 2 and "0 (off) to 240 minutes" in bad.err  # refused as the option is read
    with http_receiver() as rx:
        planned("channel", "add", f"json://{rx.base}/hook")
        assert planned("remind", now="2026-11-26T20:39+01:00").out == "Nothing due now.\n"
        assert "soaking" in planned("remind", now="2026-11-26T20:40+01:00").out


# ----------------------------------------------------------------------------- what is sent

TOKEN = "Zq8xT3mN0pLk5vW2cR7yB4dF"  # an action token as the web app makes them
LINKS = {
    "Done": f"http://127.0.0.1:8765/act/{TOKEN}/done",
    "Snooze 30 min": f"http://127.0.0.1:8765/act/{TOKEN}/snooze",
}
CLINIC = "Dr. <b>Weiss</b> & Co <3"
BODY = f"Your visit at {CLINIC} is tomorrow.\nNo rolling until then.\n\nKeep the area clean."


def channel(url: str, kind: str) -> AppriseChannel:
    return AppriseChannel(
        ChannelConfig(name=kind, url=url, masked=mask_url(url), kind=kind, created_at=T0)
    )


def linked_app() -> tuple[Rollminder, list[dt.datetime]]:
    tz = ZoneInfo("Europe/Berlin")
    now = [dt.datetime(2026, 11, 25, 10, tzinfo=tz)]
    app = Rollminder(MemoryStore(), lambda: now[0])
    app.set_plan(needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin")
    now[0] = dt.datetime(2026, 11, 26, 21, tzinfo=tz)
    return app, now


def parse_actions(header: str) -> list[list[str]]:
    """ntfy's short action format: actions split by ';', fields by ','."""
    return [[f.strip() for f in action.split(",")] for action in header.split(";")]


def test_ntfy_gets_done_and_snooze_as_action_buttons_not_links() -> None:
    app, _ = linked_app()
    with http_receiver() as rx:
        url = f"ntfy://{rx.base}/roll-topic"
        config = ChannelConfig(
            name="phone", url=url, masked=mask_url(url), kind="ntfy", id="n1", created_at=T0
        )
        result = engine.run_pass(app, [config], channel_for=AppriseChannel, links=lambda a: LINKS)
        assert [s.reminder.kind for s in result.sent] == ["session"], result.failed
        (got,) = rx.wait(1)
    assert got.method == "POST" and got.path == "/"
    message = got.json()
    assert message["topic"] == "roll-topic" and message["title"].startswith("Time to roll")
    assert "http" not in message["message"] and "/act/" not in message["message"]
    assert message["message"] == message["message"].strip()
    done, snooze = parse_actions(got.headers["x-actions"])
    assert done == [
        "http",
        "Done",
        LINKS["Done"],
        "method=POST",
        "headers.Accept=text/plain",
        "clear=true",
    ]
    assert snooze[:4] == ["http", "Snooze 30 min", LINKS["Snooze 30 min"], "method=POST"]
    assert "x-icon" not in got.headers and "x-attach" not in got.headers
    assert "icon" not in message and "attach" not in message
    assert "github" not in json.dumps(got.headers) + got.body.decode()


def test_a_prep_reminder_to_ntfy_has_no_buttons_and_no_icon() -> None:
    with http_receiver() as rx:
        channel(f"ntfy://{rx.base}/roll-topic", "ntfy").send("Prep", BODY)
        (got,) = rx.wait(1)
    assert "x-actions" not in got.headers and "x-icon" not in got.headers
    assert got.json()["message"] == BODY


@pytest.mark.parametrize("scheme", ["json", "form", "xml", "ntfy"])
def test_no_channel_sends_a_remote_icon_url(scheme: str) -> None:
    with http_receiver() as rx:
        channel(f"{scheme}://{rx.base}/x", scheme).send("Title", engine.with_links(BODY, LINKS))
        (got,) = rx.wait(1)
    sent = json.dumps(got.headers) + got.body.decode()
    # Apprise's icons live under .../assets/themes/ (apprise-info-256x256.png, apprise-logo.png).
    # (The XML payload names its schema by URL: an identifier, nothing is fetched from it.)
    for remote in ("/themes/", "apprise-", ".png", "image", "icon"):
        assert remote not in sent.lower(), (remote, sent)


def test_apprise_asset_has_no_icon_for_any_kind() -> None:
    from rollminder.remind.senders import quiet_asset

    asset = quiet_asset()
    for kind in ("info", "success", "warning", "failure"):
        assert asset.image_url(kind, "256x256") is None
        assert asset.image_url(kind, "256x256", logo=True) is None
        assert asset.image_path(kind, "256x256") is None
        assert asset.image_raw(kind, "256x256") is None


def mail_parts(raw: bytes) -> dict[str, str]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = {}
    for part in msg.walk():
        if part.is_multipart():
            continue
        parts[part.get_content_type()] = part.get_content().replace("\r\n", "\n")  # wire CRLF
    return parts


def test_email_is_plain_text_with_line_breaks_and_literal_markup() -> None:
    with smtp_receiver() as smtp:
        url = f"mailto://localhost:{smtp.port}?from=rollminder@example.com&to=me@example.com"
        channel(url, "mailto").send(f"Visit at {CLINIC}", engine.with_links(BODY, LINKS))
        (raw,) = smtp.wait(1)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == f"Visit at {CLINIC}"
    parts = mail_parts(raw)
    assert list(parts) == ["text/plain"]  # no HTML part at all
    text = parts["text/plain"]
    assert text.rstrip("\n") == (
        f"Your visit at {CLINIC} is tomorrow.\nNo rolling until then.\n\nKeep the area clean."
        f"\n\nDone: {LINKS['Done']}\nSnooze 30 min: {LINKS['Snooze 30 min']}"
    )


def test_email_forced_to_html_escapes_the_text_and_links_for_real() -> None:
    from html.parser import HTMLParser

    with smtp_receiver() as smtp:
        url = (
            f"mailto://localhost:{smtp.port}?from=rollminder@example.com&to=me@example.com"
            "&format=html"
        )
        channel(url, "mailto").send("Time to roll", engine.with_links(BODY, LINKS))
        (raw,) = smtp.wait(1)
    parts = mail_parts(raw)
    assert set(parts) == {"text/plain", "text/html"}
    page = parts["text/html"]
    assert "&lt;b&gt;Weiss&lt;/b&gt; &amp; Co &lt;3" in page and "<b>" not in page

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []
            self.anchors: list[tuple[str, str]] = []
            self.text: list[str] = []
            self._href: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)
            if tag == "a":
                self._href = dict(attrs).get("href")

        def handle_data(self, data: str) -> None:
            self.text.append(data)
            if self._href is not None:
                self.anchors.append((data, self._href))
                self._href = None

    reader = Reader()
    reader.feed(page)
    assert reader.anchors == list(LINKS.items())
    assert set(reader.tags) <= {"div", "br", "p", "a"}  # the clinic's <b> is text, not a tag
    assert CLINIC in "".join(reader.text)
    assert reader.tags.count("br") >= 3  # the line breaks
    assert CLINIC in parts["text/plain"] and "No rolling until then." in parts["text/plain"]
