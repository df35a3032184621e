"""Background work of the moderation app. Tasks take ids and are idempotent."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task


@task()
def send_decision_notices(decision_id: int) -> int:
    """Email the decision's notice to each reporter who left an address; each address once per
    decision, however often the task runs. Returns the number sent now."""
    from safeharbor.moderation.models import Decision, Notice
    from safeharbor.moderation.statements import reporter_notice_text

    decision = Decision.objects.select_related("case", "policy").filter(pk=decision_id).first()
    if decision is None:
        return 0
    addresses = sorted(
        set(
            decision.case.reports.exclude(reporter_email="").values_list(
                "reporter_email", flat=True
            )
        )
    )
    sent = 0
    for address in addresses:
        notice, _ = Notice.objects.get_or_create(
            key=f"decision:{decision.public_id}:reporter:{address.lower()}",
            defaults={"decision": decision, "recipient": address},
        )
        if notice.sent_at is not None:
            continue
        send_mail(
            subject=f"The outcome of your report to {settings.SITE_NAME}",
            message=reporter_notice_text(decision),
            from_email=None,
            recipient_list=[address],
        )
        Notice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
        sent += 1
    return sent
