"""The portal's web rules that need no server: every form checks its token, sign-in returns
only to this site, the settings refuse a production portal without a session secret, and the
read model takes every event of its topics."""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError
from starlette.routing import Route

from services.portal import api, handlers
from services.portal.auth import safe_next
from services.portal.settings import PortalSettings
from services.portal.web import next_step, outlived


def test_every_route_that_takes_a_post_checks_the_form_token():
    posts = [r for r in api.routes() if isinstance(r, Route) and "POST" in (r.methods or set())]
    assert posts, "the portal has forms"
    unchecked = [r.path for r in posts if not getattr(r.endpoint, "checks_form_token", False)]
    assert not unchecked, f"POST routes without the form token check: {unchecked}"


def test_no_get_route_changes_anything_so_none_is_a_form():
    gets = [r for r in api.routes() if isinstance(r, Route) and "POST" not in (r.methods or set())]
    assert not any(getattr(r.endpoint, "checks_form_token", False) for r in gets)


@pytest.mark.parametrize("target", [None, "", "https://evil.example/x", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "my-actions"])
def test_sign_in_never_returns_anywhere_but_a_page_of_this_site(target: str | None):
    assert safe_next(target) == "/"


def test_sign_in_returns_to_the_page_that_asked_for_it():
    assert safe_next("/actions/bc-ap4?sent=explanation") == "/actions/bc-ap4?sent=explanation"


def test_outside_development_mode_the_portal_needs_a_session_secret():
    with pytest.raises(ValidationError, match="PORTAL_SESSION_SECRET is required"):
        PortalSettings()


def test_a_short_session_secret_is_refused():
    with pytest.raises(ValidationError, match="at least 32 characters"):
        PortalSettings(session_secret="short")


def test_outside_development_mode_cookies_are_secure_and_the_secret_is_the_one_given():
    settings = PortalSettings(session_secret="s" * 40)
    assert settings.secure_cookies
    assert settings.signing_secret() == "s" * 40


def test_development_mode_draws_a_secret_at_each_start_and_allows_plain_http_cookies():
    settings = PortalSettings(development_mode=True)
    assert not settings.secure_cookies
    assert settings.signing_secret() != settings.signing_secret()
    assert len(settings.signing_secret()) >= 32


def test_the_read_model_takes_every_event_its_topics_carry():
    union = typing.get_args(typing.get_args(handlers.PortalInput)[0])
    assert set(union) == {t for types in handlers.INPUTS.values() for t in types}


def test_what_follows_each_rung_is_said_in_words():
    assert next_step("leader_asked").startswith("it is on the agenda of the")
    assert next_step("people_board") == "the People Board decides what follows"
    assert next_step(None) == ""


def test_a_sign_in_ends_after_its_hours_however_busy_the_session():
    assert not outlived({"since": 1_000}, hours=8, now=1_000 + 8 * 3600)
    assert outlived({"since": 1_000}, hours=8, now=1_000 + 8 * 3600 + 1)
    assert outlived({}, hours=8, now=1_000), "a session without its sign-in time is no session"
