from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_registration_form_has_an_accessible_password_field_with_a_meter() -> None:
    html = Client().get("/accounts/register/").content.decode()
    assert 'type="password"' in html
    assert 'autocomplete="new-password"' in html
    assert 'hx-post="/passwords/meter/"' in html
    assert 'aria-describedby="id_password_helptext id_password-meter"' in html
    assert 'id="id_password-meter"' in html
    assert 'aria-live="polite"' in html
    assert "data-password-toggle" in html
    assert "onpaste" not in html  # pasting from a password manager is allowed


def test_the_meter_explains_a_weak_password() -> None:
    response = Client().post(
        "/passwords/meter/",
        {"meter_field": "password", "password": "password1", "username": "ada"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<meter min="0" max="4"' in html
    assert 'value="0"' in html
    assert "Not accepted" in html
    assert "Use at least 15 characters" in html
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_the_meter_praises_a_strong_passphrase() -> None:
    response = Client().post(
        "/passwords/meter/",
        {"meter_field": "new_password1", "new_password1": "tangerine submarine orchestra"},
    )
    html = response.content.decode()
    assert 'value="4"' in html
    assert "Very strong" in html


def test_the_meter_uses_the_signed_in_persons_name_as_context(cast) -> None:
    response = cast["researcher"].client.post(
        "/passwords/meter/",
        {"meter_field": "new_password1", "new_password1": "researcher forever and ever"},
    )
    assert "guess from your account or this site: researcher" in response.content.decode()


def test_the_meter_reads_only_password_fields() -> None:
    response = Client().post("/passwords/meter/", {"meter_field": "username", "username": "x"})
    assert "<meter" not in response.content.decode()


def test_the_meter_refuses_get() -> None:
    assert Client().get("/passwords/meter/").status_code == 405


def test_the_password_change_and_reset_forms_have_the_meter(cast) -> None:
    html = cast["researcher"].client.get("/accounts/password/change/").content.decode()
    assert 'id="id_new_password1-meter"' in html
    assert 'autocomplete="current-password"' in html
