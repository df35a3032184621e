from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from safeharbor.accounts.models import User
from safeharbor.core.audit import record_audit, verify_audit_chain
from safeharbor.core.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_rows() -> list[AuditEvent]:
    user = User.objects.create(username="alice", email="alice@example.org")
    return [
        record_audit("test.first", actor=user, target=user, details={"n": 1}),
        record_audit("test.second", details={"nested": {"b": 2, "a": [1, "x"]}}),
        record_audit("test.third", target=user, target_label="Alice"),
    ]


def test_each_row_links_to_the_one_before(three_rows: list[AuditEvent]) -> None:
    first, second, third = three_rows
    assert [e.sequence for e in three_rows] == [1, 2, 3]
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    head = AuditChainHead.objects.get()
    assert (head.sequence, head.hash) == (3, third.hash)


def test_it_records_actor_target_and_details(three_rows: list[AuditEvent]) -> None:
    event = AuditEvent.objects.get(sequence=1)
    assert event.actor_label == "alice"
    assert event.target_type == "accounts.user"
    assert event.target_id == str(event.actor_id)
    assert event.details == {"n": 1}
    assert AuditEvent.objects.get(sequence=2).actor_label == "system"


def test_verify_passes_on_an_intact_chain(three_rows: list[AuditEvent], capsys) -> None:
    assert verify_audit_chain().ok
    call_command("audit", "verify")
    assert "audit log OK: 3 rows" in capsys.readouterr().out


def test_verify_catches_an_edited_row(three_rows: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(sequence=2).update(action="test.innocent")
    report = verify_audit_chain()
    assert not report.ok
    assert report.broken_sequence == 2
    assert "changed" in report.reason
    with pytest.raises(CommandError, match="BROKEN at row #2"):
        call_command("audit", "verify")


def test_verify_catches_edited_details_through_raw_sql(three_rows: list[AuditEvent]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET ip = %s WHERE sequence = %s", ["10.0.0.9", 3]
        )
    report = verify_audit_chain()
    assert (report.ok, report.broken_sequence) == (False, 3)


def test_verify_catches_a_deleted_middle_row(three_rows: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(sequence=2).delete()  # queryset delete bypasses the model guard
    report = verify_audit_chain()
    assert (report.ok, report.broken_sequence) == (False, 2)
    assert "missing" in report.reason


def test_verify_catches_a_deleted_newest_row(three_rows: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(sequence=3).delete()
    report = verify_audit_chain()
    assert (report.ok, report.broken_sequence) == (False, 3)
    assert report.reason.startswith("rows #3 to #3 were removed")
    assert report.checked == 2


def test_verify_catches_a_row_appended_behind_the_services_back(
    three_rows: list[AuditEvent],
) -> None:
    from safeharbor.core.audit import _event_hash

    last = AuditEvent.objects.get(sequence=3)
    forged = AuditEvent(
        sequence=4,
        created_at=last.created_at,
        actor_label="mallory",
        action="test.forged",
        prev_hash=last.hash,
        details={},
    )
    forged.hash = _event_hash(forged)
    forged.save()
    report = verify_audit_chain()
    assert (report.ok, report.broken_sequence) == (False, 4)
    assert "outside the audit service" in report.reason


def test_verify_catches_a_rehashed_forgery(three_rows: list[AuditEvent]) -> None:
    # An attacker who edits row 2 and recomputes its hash still breaks row 3's link.
    from safeharbor.core.audit import _event_hash

    event = AuditEvent.objects.get(sequence=2)
    event.action = "test.forged"
    AuditEvent.objects.filter(pk=event.pk).update(action=event.action, hash=_event_hash(event))
    report = verify_audit_chain()
    assert (report.ok, report.broken_sequence) == (False, 3)


def test_rows_cannot_be_saved_again_or_deleted_through_the_model(
    three_rows: list[AuditEvent],
) -> None:
    event = AuditEvent.objects.get(sequence=1)
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_an_empty_log_verifies() -> None:
    assert verify_audit_chain().ok


def test_verify_catches_an_altered_head_of_an_empty_log() -> None:
    AuditChainHead.objects.create(pk=1, sequence=0, hash="f" * 64)
    report = verify_audit_chain()
    assert (report.ok, report.broken_sequence, report.checked) == (False, 1, 0)
    assert report.reason == "the log is empty but its head was altered"
