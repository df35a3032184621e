"""Who may see and do what in the disclosure program. Objects a user may not see are 404.

Researchers see their own reports (drafts included) and disclosed ones; the security team
(permission ``disclosure.triage_report``) sees every submitted report. API keys see the reports
submitted through them and disclosed ones; keys with ``vdp:triage`` see every submitted report.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import Http404

from safeharbor.disclosure.models import (
    Asset,
    Attachment,
    DisclosureState,
    Payout,
    Program,
    Report,
)

ReportNeed = Literal["view", "participate", "edit_draft", "triage", "award"]


def _require(condition: object) -> None:
    if not condition:
        raise Http404


def is_team(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm("disclosure.triage_report"))


def visible_reports_for_user(user: Any) -> QuerySet[Report]:
    disclosed = Q(disclosure_state=DisclosureState.DISCLOSED, is_draft=False)
    if is_team(user):
        return Report.objects.filter(Q(is_draft=False) | Q(researcher_id=user.pk))
    if user.is_authenticated:
        return Report.objects.filter(Q(researcher_id=user.pk) | disclosed)
    return Report.objects.filter(disclosed)


def get_report_for_user(user: Any, report_id: int, need: ReportNeed = "view") -> Report:
    """``view``: may read it; ``participate``: may comment (owner or team); ``edit_draft``: owns
    this draft; ``triage``: the team; ``award``: may award bounties."""
    report = (
        visible_reports_for_user(user)
        .select_related("asset", "weakness", "assignee", "researcher", "duplicate_of")
        .filter(pk=report_id)
        .first()
    )
    _require(report is not None)
    assert report is not None
    owner = user.is_authenticated and report.researcher_id == user.pk
    if need == "participate":
        _require(owner or is_team(user))
    elif need == "edit_draft":
        _require(owner and report.is_draft)
    elif need == "triage":
        _require(is_team(user) and not report.is_draft)
    elif need == "award":
        _require(is_team(user) and user.has_perm("disclosure.award_bounty"))
    return report


def may_participate(user: Any, report: Report) -> bool:
    """The report's researcher and the team; everyone else reads only its public version."""
    return bool(user.is_authenticated and report.researcher_id == user.pk) or is_team(user)


def get_attachment_for_user(user: Any, report_id: int, attachment_id: int) -> Attachment:
    """Attachments are for the report's researcher and the team, never for the public."""
    report = get_report_for_user(user, report_id, need="participate")
    attachment = Attachment.objects.filter(report=report, pk=attachment_id).first()
    _require(attachment is not None)
    assert attachment is not None
    if attachment.comment_id is not None:
        _require(not attachment.comment.internal or is_team(user))  # type: ignore[union-attr]
    return attachment


def triage_queue_for_user(user: Any) -> QuerySet[Report]:
    _require(is_team(user))
    return Report.objects.filter(is_draft=False)


def own_reports_for_user(user: Any) -> QuerySet[Report]:
    _require(user.is_authenticated)
    return Report.objects.filter(researcher_id=user.pk)


def may_submit(user: Any) -> bool:
    """Researchers submit reports; staff do not report to their own program."""
    return bool(user.is_authenticated and not getattr(user, "is_staff_member", False))


def require_researcher(user: Any) -> None:
    _require(may_submit(user))


def get_program_for_user(user: Any) -> Program:
    from safeharbor.disclosure.services import current_program

    _require(user.is_authenticated and user.has_perm("disclosure.change_program"))
    return current_program()


def require_bounty_table_editor(user: Any) -> None:
    _require(user.is_authenticated and user.has_perm("disclosure.publish_bountytable"))


def visible_assets_for_user(user: Any) -> QuerySet[Asset]:
    """The scope editor's list (archived assets included)."""
    _require(user.is_authenticated and user.has_perm("disclosure.change_asset"))
    return Asset.objects.all()


def get_asset_for_user(user: Any, asset_id: int) -> Asset:
    asset = visible_assets_for_user(user).filter(pk=asset_id).first()
    _require(asset is not None)
    assert asset is not None
    return asset


def payouts_for_user(user: Any) -> QuerySet[Payout]:
    """Payout records are for those who award bounties."""
    _require(is_team(user) and user.has_perm("disclosure.award_bounty"))
    return Payout.objects.all()


def get_payout_for_user(user: Any, payout_id: int) -> Payout:
    payout = payouts_for_user(user).select_related("bounty__report").filter(pk=payout_id).first()
    _require(payout is not None)
    assert payout is not None
    return payout


# --- API keys -------------------------------------------------------------------------------


def key_is_team(key: Any) -> bool:
    return bool(key.has_scope("vdp:triage"))


def visible_reports_for_key(key: Any) -> QuerySet[Report]:
    if key_is_team(key):
        return Report.objects.filter(is_draft=False)
    return Report.objects.filter(
        Q(submitted_via_key=key) | Q(disclosure_state=DisclosureState.DISCLOSED, is_draft=False)
    )


def get_report_for_key(key: Any, report_id: int, need: Literal["view", "triage"]) -> Report:
    report = (
        visible_reports_for_key(key)
        .select_related("asset", "weakness", "researcher", "assignee")
        .filter(pk=report_id)
        .first()
    )
    _require(report is not None)
    assert report is not None
    if need == "triage":
        _require(key_is_team(key) and not report.is_draft)
    return report
