from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_the_home_page_is_public_and_has_strict_security_headers() -> None:
    response = Client().get("/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_pages_have_no_inline_script_or_style(cast) -> None:
    import re

    pages = ["/", "/accounts/login/", "/accounts/register/", "/accounts/password/reset/"]
    admin_pages = ["/dashboard/", "/staff/audit/", "/accounts/staff/", "/accounts/api-keys/"]
    bodies = [Client().get(url).content.decode() for url in pages]
    bodies += [cast["admin"].client.get(url).content.decode() for url in admin_pages]
    for body in bodies:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline script"
        assert "<style" not in body
        assert " style=" not in body
        assert " on" + "click=" not in body


def test_htmx_is_served_from_our_own_static_files() -> None:
    body = Client().get("/").content.decode()
    assert '<script src="/static/django-htmx/' in body or "/static/django_htmx/" in body
    assert "unpkg" not in body
    assert "cdn" not in body.lower()


def test_signed_in_pages_are_not_cached(cast) -> None:
    response = cast["admin"].client.get("/dashboard/")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_an_unknown_page_is_a_friendly_404() -> None:
    with override_settings(DEBUG=False):
        response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_a_server_error_is_a_friendly_500_page() -> None:
    from django.test import RequestFactory

    from safeharbor import urls
    from safeharbor.core import views

    assert urls.handler500 == "safeharbor.core.views.error_500_view"
    response = views.error_500_view(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"nothing you sent was half-saved" in response.content


def test_healthz_reports_database_and_task_queue() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["tasks"]["ok"] is True


def test_healthz_is_503_when_tasks_wait_too_long(settings) -> None:
    import time_machine
    from django_tasks_db.models import DBTaskResult

    from safeharbor.accounts.tasks import send_verification_email

    settings.TASK_BACKEND = "database"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with time_machine.travel("2026-01-01 00:00Z", tick=False):
        send_verification_email.enqueue(1)
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    with time_machine.travel("2026-01-01 00:30Z", tick=False):
        response = Client().get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["checks"]["tasks"]["waiting"] == 1
    assert body["checks"]["tasks"]["oldest_waiting_seconds"] == 1800


def test_readyz_checks_migrations() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert json.loads(response.content)["checks"]["migrations"] == {"ok": True, "unapplied": 0}


def test_the_admin_site_signs_in_only_through_safeharbors_login() -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # A password posted to the admin's own form is never checked there.
    response = Client().post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 302


def test_accounts_cannot_be_edited_in_the_admin_site(cast) -> None:
    admin = cast["admin"]
    target = cast["researcher"].user
    assert admin.client.get(f"/admin/accounts/user/{target.pk}/change/").status_code == 200
    response = admin.client.post(
        f"/admin/accounts/user/{target.pk}/change/", {"username": "renamed", "email": "x@y.z"}
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.username == "researcher"


def test_healthz_ignores_tasks_scheduled_for_later(settings) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from safeharbor.accounts.tasks import send_verification_email

    settings.TASK_BACKEND = "database"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with time_machine.travel("2026-01-01 00:00Z", tick=False):
        send_verification_email.using(run_after=timezone.now() + timedelta(days=1)).enqueue(1)
    with time_machine.travel("2026-01-01 00:30Z", tick=False):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content)["checks"]["tasks"]["waiting"] == 0


def test_a_scheduled_task_waits_from_when_it_is_due(settings) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from safeharbor.accounts.tasks import send_verification_email

    settings.TASK_BACKEND = "database"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with time_machine.travel("2026-01-01 00:00Z", tick=False):
        send_verification_email.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(1)
    with time_machine.travel("2026-01-01 01:05Z", tick=False):
        body = json.loads(Client().get("/healthz").content)
    assert body["checks"]["tasks"] == {
        "ok": True,
        "backend": "database",
        "waiting": 1,
        "oldest_waiting_seconds": 300.0,
    }


def test_a_signed_in_person_without_admin_access_gets_404_not_a_loop(cast) -> None:
    response = cast["researcher"].client.get("/admin/", follow=True)
    assert response.status_code == 404
    assert len(response.redirect_chain) <= 2


def test_roles_and_the_admins_password_change_are_not_editable_in_the_admin(cast) -> None:
    from django.contrib.auth.models import Group

    client = cast["admin"].client
    group = Group.objects.get(name="Administrator")
    response = client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "Renamed"})
    assert response.status_code == 403
    assert Group.objects.filter(name="Administrator").exists()
    response = client.get("/admin/password_change/")
    assert response["Location"] == "/accounts/password/change/"
