"""Background work of the disclosure program. Tasks take ids and are idempotent."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task


@task()
def acknowledge_report(report_id: int) -> bool:
    """Tell the researcher their report arrived, with its number and the response targets."""
    from safeharbor.disclosure.models import Report
    from safeharbor.disclosure.services import current_program

    report = Report.objects.select_related("researcher").filter(pk=report_id).first()
    if report is None or report.is_draft or not report.researcher.email:
        return False
    context = {
        "report": report,
        "program": current_program(),
        "link": settings.SITE_URL + reverse("disclosure:report_detail", args=[report.pk]),
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        subject=f"Report #{report.pk} received: {report.title}",
        message=render_to_string("disclosure/email/acknowledgement.txt", context),
        from_email=None,
        recipient_list=[report.researcher.email],
    )
    return True


@task()
def notify_researcher(event_id: int) -> bool:
    """Email the researcher about one public change on their report. Internal notes and the
    researcher's own actions are never sent."""
    from safeharbor.disclosure.models import ActivityEvent

    event = (
        ActivityEvent.objects.select_related("report__researcher", "comment")
        .filter(pk=event_id)
        .first()
    )
    if event is None or event.internal:
        return False
    report = event.report
    if not report.researcher.email or event.actor_id == report.researcher_id:
        return False
    context = {
        "event": event,
        "report": report,
        "link": settings.SITE_URL + reverse("disclosure:report_detail", args=[report.pk]),
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        subject=f"Report #{report.pk} updated: {event.get_kind_display()}",
        message=render_to_string("disclosure/email/activity.txt", context),
        from_email=None,
        recipient_list=[report.researcher.email],
    )
    return True


@task()
def close_stale_reports() -> int:
    """Close reports left in Needs more info for 30 days (schedule daily)."""
    from safeharbor.disclosure.services import close_stale_reports as close

    return len(close())


@task()
def disclose_due_reports() -> int:
    """Disclose resolved reports whose disclosure timer ran out (schedule daily)."""
    from safeharbor.disclosure.services import disclose_due_reports as disclose

    return len(disclose())
