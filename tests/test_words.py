"""Issue 11, item 11: what a person reads names sources as people do; the detailed sources sit
behind "Why?" (DOMAIN.md, "How sources reach a person")."""

from __future__ import annotations

import re

import pytest

from rollminder import guide, rules
from tests.conftest import Runner

JARGON = re.compile(r"\bseed\b|unsourced", re.I)
DOMAIN = re.compile(r"\b[a-z0-9-]+\.(com|co\.uk|info|org)\b", re.I)


def main_texts() -> list[str]:
    texts = [rules.NOT_MEDICAL_ADVICE, rules.NO_HOME_PLAN_REASON, rules.BLACKOUT_SOURCE]
    texts += [r.basis for r in rules.NEEDLE_TABLE] + [r.warning for r in rules.NEEDLE_TABLE]
    texts += list(guide.PREP_LINES) + list(guide.AFTERCARE_LINES)
    for q in (*rules.STOP_QUESTIONS, *rules.CLINICIAN_QUESTIONS):
        texts += [q.text, q.reason]
    return texts


@pytest.mark.parametrize("text", main_texts())
def test_main_text_has_no_jargon_and_no_web_sites(text: str) -> None:
    assert not JARGON.search(text), text
    assert not DOMAIN.search(text), text


def test_no_source_text_says_seed_or_unsourced() -> None:
    sources = [r.source for r in rules.NEEDLE_TABLE]
    sources += [rules.SERIES_SOURCE, rules.ROLLER_SOURCE, guide.PREP_SOURCE, guide.AFTERCARE_SOURCE]
    for text in sources:
        assert not JARGON.search(text), text


def test_setup_and_plan_speak_plainly_and_plan_why_names_the_sources(planned: Runner) -> None:
    for out in (planned("plan").out, planned(*["setup", "--yes"]).out):
        assert not JARGON.search(out) and not DOMAIN.search(out), out
    why = planned("plan", "--why").out
    assert "Why? Where these rules come from:" in why
    assert "LifeZette" in why and "necolebitchie.com" in why
    assert not JARGON.search(why)


def test_web_onboarding_and_settings_keep_sources_behind_why(tmp_path: object) -> None:
    from pathlib import Path

    from starlette.testclient import TestClient

    from rollminder.env import Env
    from rollminder.web.app import create_app
    from tests.web.common import BASE, NOW, planned_env

    fresh = Env(home=Path(str(tmp_path)) / "fresh", clock=lambda: NOW)
    with TestClient(create_app(fresh, start_reminders=False), base_url=BASE) as client:
        welcome = client.get("/welcome").text
        why = client.get("/why").text
    planned = planned_env(Path(str(tmp_path)) / "p")
    with TestClient(create_app(planned, start_reminders=False), base_url=BASE) as client:
        settings = client.get("/settings").text
    for page in (welcome, settings):
        # The sources sit behind a "Why?" link to the sources page, not in the page itself.
        assert 'href="/why#' in page
        assert not JARGON.search(page)
        assert not DOMAIN.search(re.sub(r"<[^>]+>", " ", page)), page
    assert "LifeZette" in why and DOMAIN.search(why)
    assert not JARGON.search(why)
