from __future__ import annotations

import time

import pytest

from safeharbor.accounts.sudo import SESSION_KEY
from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.matrix import assert_access
from safeharbor.passwords.models import PasswordPolicy

pytestmark = pytest.mark.django_db

URL = "/passwords/policy/"


def with_sudo(client) -> None:
    session = client.session
    session[SESSION_KEY] = time.time() + 600
    session.save()


def test_only_administrators_see_the_policy_page(cast) -> None:
    assert_access(cast, "get", URL, allowed={"admin"})


def test_the_page_shows_the_policy_in_force(cast) -> None:
    html = cast["admin"].client.get(URL).content.decode()
    assert "In force: NIST SP 800-63B-4" in html
    assert "15 characters alone, 8 with a second factor" in html


def test_saving_asks_for_sudo_first(cast) -> None:
    response = cast["admin"].client.post(URL, {"preset": "asvs-5-l2"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sudo/")
    assert not PasswordPolicy.objects.exists()


def test_an_administrator_changes_the_policy_and_it_is_audited(cast) -> None:
    client = cast["admin"].client
    with_sudo(client)
    response = client.post(
        URL,
        {
            "preset": "custom", "min_length": 12, "min_length_with_mfa": 8, "max_length": 256,
            "check_common": "on", "check_context": "on", "min_score": 2,
            "context_words": "Acme\nNightingale",
        },
    )  # fmt: skip
    assert response.status_code == 302
    policy = PasswordPolicy.objects.get()
    assert (policy.preset, policy.min_length, policy.check_breached) == ("custom", 12, False)
    event = AuditEvent.objects.get(action="passwords.policy_changed")
    assert event.actor_label == "admin"
    assert event.details["changed"]["min_score"] == [0, 2]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("max_length", 32, "at least 64"),
        ("max_length", 5000, "At most 1,024"),
        ("min_score", 7, "Scores go from 0 to 4"),
        ("min_length", 0, "between 1 and 64"),
        ("preset", "nist-9000", "Select a valid choice"),
    ],
)
def test_bad_values_are_refused_with_field_errors(cast, field, value, error) -> None:
    client = cast["admin"].client
    with_sudo(client)
    data = {"preset": "custom", "min_length": 15, "min_length_with_mfa": 8, "max_length": 1024,
            "min_score": 0, field: value}  # fmt: skip
    response = client.post(URL, data)
    assert response.status_code == 400
    assert error in " ".join(response.context["form"].errors[field])
    assert not PasswordPolicy.objects.exists()
