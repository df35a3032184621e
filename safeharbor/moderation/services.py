"""Every change to moderation data happens here: intake, cases, routing, claims, the taxonomy."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from safeharbor.core.audit import record_audit
from safeharbor.moderation.models import (
    ACTIVE_STATES,
    LEASE_DURATION,
    Appeal,
    AppealOutcome,
    AppealState,
    Case,
    CaseState,
    Decision,
    DecisionAction,
    ModerationSettings,
    PolicyCategory,
    Queue,
    Report,
    ReportChannel,
    ReportSource,
    ReviewerExposure,
)
from safeharbor.moderation.priority import priority_key, priority_points, trust_rank

INTAKE_ATTEMPTS = 3


class ModerationError(ValueError):
    """A request that cannot be carried out; the message is shown as it is."""


class UnknownCategory(ModerationError):
    def __init__(self, slug: str, valid: list[str]) -> None:
        super().__init__(f"Unknown category {slug!r}.")
        self.valid = valid


class IdempotencyMismatch(ModerationError):
    """The idempotency key was used before for a different report."""


class ClaimConflict(ModerationError):
    """Someone else holds the case, or the caller does not."""


# --- Taxonomy ----------------------------------------------------------------------------------


def active_categories() -> list[PolicyCategory]:
    return list(PolicyCategory.objects.filter(active=True))


def _load_categories() -> dict[str, PolicyCategory]:
    return {category.slug: category for category in active_categories()}


def _apply_changes(instance: Any, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the fields that differ; returns {field: [before, after]} for the audit row."""
    changed = {
        name: [getattr(instance, name), value]
        for name, value in changes.items()
        if getattr(instance, name) != value
    }
    for name, (_, value) in changed.items():
        setattr(instance, name, value)
    return changed


def update_policy_category(
    category: PolicyCategory,
    changes: dict[str, Any],
    *,
    actor: Any,
    request: HttpRequest | None = None,
) -> PolicyCategory:
    """Change a category's editable fields; the audit row records before and after."""
    with transaction.atomic():
        changed = _apply_changes(category, changes)
        if not changed:
            return category
        category.updated_at = timezone.now()
        category.save()
        record_audit(
            "moderation.category_changed",
            actor=actor,
            request=request,
            target=category,
            details={"changed": changed},
        )
        if category.required_role and "required_role" in changed:
            # Open cases of the category copied the old role: restrict them now, not later.
            for case in (
                Case.objects.select_for_update()
                .filter(category=category)
                .exclude(required_role=category.required_role)
                .exclude(state=CaseState.CLOSED)
            ):
                from_queue = _restrict(case, category.required_role)
                case.save()
                record_audit(
                    "moderation.case_rerouted",
                    actor=actor,
                    request=request,
                    target=case,
                    details={
                        "from_queue": Queue.objects.get(pk=from_queue).slug,
                        "to_queue": Queue.objects.get(pk=case.queue_id).slug,
                        "category": category.slug,
                    },
                )
    return category


# --- Intake ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportData:
    """A validated report, from the API schema or the public form."""

    content_id: str
    category: str
    content_type: str
    channel: str = ReportChannel.API
    source: str = ReportSource.USER
    trusted_flagger: bool = False
    reporter_id: str = ""
    reporter_email: str = ""
    content_url: str = ""
    content_text: str = ""
    content_metadata: dict[str, Any] = field(default_factory=dict)
    content_language: str = ""
    media_url: str = ""
    media_hash: str = ""
    author_id: str = ""
    free_text: str = ""

    def fingerprint(self) -> str:
        fields = asdict(self)
        if not fields["reporter_email"]:
            del fields["reporter_email"]  # keeps fingerprints stored before the field existed
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def views(self) -> int:
        return views_of(self.content_metadata)


MAX_REACH = 2**63 - 1  # what the case's reach column holds


def views_of(metadata: dict[str, Any] | None) -> int:
    """The content's reach from the report's metadata: a whole number, clamped to the column."""
    value = (metadata or {}).get("views")
    if not isinstance(value, int) or isinstance(value, bool):
        return 0
    return max(0, min(value, MAX_REACH))


@dataclass(frozen=True)
class Intake:
    report: Report
    replayed: bool


def submit_report(
    data: ReportData,
    *,
    api_key: Any = None,
    idempotency_key: str | None = None,
) -> Intake:
    """Store a report and join it to the open case about its content (or open one, routed to a
    queue). Committed before it returns. With an idempotency key, a repeated request returns
    the first report and stores nothing; the same key with a different report is refused."""
    category = _cached("categories", _load_categories).get(data.category)
    if category is None:
        valid = list(PolicyCategory.objects.filter(active=True).values_list("slug", flat=True))
        raise UnknownCategory(data.category, valid)
    fingerprint = data.fingerprint() if idempotency_key else ""
    for _attempt in range(INTAKE_ATTEMPTS):
        try:
            with transaction.atomic():
                report = _store_report(data, category, api_key, idempotency_key, fingerprint)
            return Intake(report, replayed=False)
        except IntegrityError:
            # Either this idempotency key was stored meanwhile, or another request opened the
            # case about this content first: look for the former, else join the latter.
            if idempotency_key is not None:
                earlier = Report.objects.filter(
                    api_key=api_key, idempotency_key=idempotency_key
                ).first()
                if earlier is not None:
                    if earlier.request_fingerprint != fingerprint:
                        raise IdempotencyMismatch(
                            "This Idempotency-Key was used for a different report; use a new "
                            "key for each report."
                        ) from None
                    return Intake(earlier, replayed=True)
    raise ModerationError("The report could not be stored; retry with the same key.")


def _store_report(
    data: ReportData,
    category: PolicyCategory,
    api_key: Any,
    idempotency_key: str | None,
    fingerprint: str,
) -> Report:
    now = timezone.now()
    report = Report(
        category=category,
        channel=data.channel,
        source=data.source,
        trusted_flagger=data.trusted_flagger,
        api_key=api_key,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        reporter_id=data.reporter_id,
        reporter_email=data.reporter_email,
        content_id=data.content_id,
        content_url=data.content_url,
        content_type=data.content_type,
        content_text=data.content_text,
        content_metadata=data.content_metadata,
        content_language=data.content_language,
        media_url=data.media_url,
        media_hash=data.media_hash,
        author_id=data.author_id,
        free_text=data.free_text,
        received_at=now,
    )
    case = (
        Case.objects.select_for_update()
        .filter(content_id=data.content_id, state__in=ACTIVE_STATES)
        .first()
    )
    if case is None:
        case = _open_case(data, category, now)
        report.case = case
        report.save(force_insert=True)
    else:
        report.case = case
        # A reporter who reported this content before does not count twice.
        repeat_reporter = Report.objects.filter(case=case, reporter_id=data.reporter_id).exists()
        report.save(force_insert=True)
        _join_case(case, report, category, repeat_reporter, now)
    return report


def _open_case(data: ReportData, category: PolicyCategory, now: datetime) -> Case:
    case = Case(
        content_id=data.content_id,
        content_type=data.content_type,
        content_url=data.content_url,
        content_language=data.content_language,
        author_id=data.author_id,
        category=category,
        required_role=category.required_role,
        severity_tier=category.severity_tier,
        report_count=1,
        distinct_reporters=1,
        reach=data.views,
        reporter_trust=data.source,
        opened_at=now,
        updated_at=now,
        sla_due_at=now + timedelta(hours=category.sla_hours),
    )
    _reprioritize(case)
    case.queue_id = route_case(case)
    case.save(force_insert=True)
    return case


def _join_case(
    case: Case, report: Report, category: PolicyCategory, repeat_reporter: bool, now: datetime
) -> None:
    case.report_count += 1
    if not repeat_reporter:
        case.distinct_reporters += 1
    case.reach = max(case.reach, views_of(report.content_metadata))
    if trust_rank(report.source) > trust_rank(case.reporter_trust):
        case.reporter_trust = report.source
    if not case.content_language and report.content_language:
        case.content_language = report.content_language
    # The public does not know the author; the platform's own report of the content does.
    if not case.author_id and report.author_id:
        case.author_id = report.author_id
    # Who may see a case only ever narrows: a report in a restricted category (child sexual abuse
    # material) restricts the case whatever its tier, and no later report lifts a restriction.
    restricts = bool(category.required_role) and category.required_role != case.required_role
    if category.severity_tier < case.severity_tier or restricts:
        # A more severe (or restricted) report decides the category and the SLA, except that a
        # restricted case keeps its restricted category.
        if restricts or not case.required_role:
            case.category = category
        case.severity_tier = min(case.severity_tier, category.severity_tier)
        case.sla_due_at = min(case.sla_due_at, now + timedelta(hours=category.sla_hours))
    rerouted_from = _restrict(case, category.required_role) if restricts else None
    case.updated_at = now
    _reprioritize(case)
    case.save()
    if rerouted_from is not None:
        record_audit(
            "moderation.case_rerouted",
            target=case,
            details={
                "from_queue": Queue.objects.get(pk=rerouted_from).slug,
                "to_queue": Queue.objects.get(pk=case.queue_id).slug,
                "category": category.slug,
                "report": str(report.public_id),
            },
        )


def _restrict(case: Case, role: str) -> int:
    """Give the case to ``role`` only: route it to that role's queue and drop any claim (whoever
    held it may no longer be allowed to see it). Returns the queue it leaves."""
    rerouted_from = case.queue_id
    case.required_role = role
    case.queue_id = route_case(case)
    case.claimed_by = None
    case.claimed_at = case.lease_expires_at = None
    if case.state == CaseState.IN_REVIEW:
        case.transition_to(CaseState.OPEN)
    return rerouted_from


def _reprioritize(case: Case) -> None:
    case.priority_points = priority_points(
        tier=case.severity_tier,
        trust=case.reporter_trust,
        distinct_reporters=case.distinct_reporters,
        reach=case.reach,
    )
    case.priority_key = priority_key(case.priority_points, case.opened_at)


# --- Routing -----------------------------------------------------------------------------------


def _primary_language(tag: str) -> str:
    return tag.split("-", 1)[0].split("_", 1)[0].lower()


@dataclass(frozen=True)
class _Route:
    queue_id: int
    required_role: str
    category_ids: frozenset[int]
    languages: frozenset[str]


# Routing rules and categories change rarely and are read on every report: each process keeps
# them for a few seconds (not in tests, where every test builds its own).
_SNAPSHOT_SECONDS = 0 if settings.TESTING else 10
_snapshot: dict[str, tuple[float, Any]] = {}


def _cached(name: str, load: Any) -> Any:
    now = time.monotonic()
    hit = _snapshot.get(name)
    if hit is not None and now - hit[0] < _SNAPSHOT_SECONDS:
        return hit[1]
    value = load()
    _snapshot[name] = (now, value)
    return value


def forget_snapshots() -> None:
    _snapshot.clear()


def _load_routes() -> list[_Route]:
    queues = (
        Queue.objects.filter(active=True, is_escalation=False)
        .prefetch_related("categories")
        .order_by("position", "pk")
    )
    return [
        _Route(
            queue.pk,
            queue.required_role,
            frozenset(category.pk for category in queue.categories.all()),
            frozenset(_primary_language(code) for code in queue.languages),
        )
        for queue in queues
    ]


def route_case(case: Case) -> int:
    """The id of the first active, non-escalation queue (by position) whose rules match the case.
    A queue serves one required role, so child-safety cases only land in child-safety queues."""
    language = _primary_language(case.content_language)
    for route in _cached("routes", _load_routes):
        if route.required_role != case.required_role:
            continue
        if route.category_ids and case.category_id not in route.category_ids:
            continue
        if route.languages and language not in route.languages:
            continue
        return route.queue_id
    return _fallback_queue(case.required_role).pk


def _fallback_queue(required_role: str) -> Queue:
    # No rule matches (an administrator removed the catch-all queue): the report must still be
    # kept and seen, so it lands in a visible "unrouted" queue of the same role.
    slug = f"unrouted-{required_role}" if required_role else "unrouted"
    queue, _ = Queue.objects.get_or_create(
        slug=slug,
        defaults={
            "name": "Unrouted" + (f" ({required_role})" if required_role else ""),
            "description": "Cases no routing rule matched. Add or fix a catch-all queue.",
            "position": 999,
            "required_role": required_role,
        },
    )
    return queue


def escalate_case(case: Case, *, actor: Any, request: HttpRequest | None = None) -> Case:
    """Move a case to the escalation queue of its role (it keeps its restrictions)."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        queue = (
            Queue.objects.filter(active=True, is_escalation=True, required_role=case.required_role)
            .order_by("position", "pk")
            .first()
        )
        if queue is None:
            raise ModerationError("There is no escalation queue for this kind of case.")
        from_queue = case.queue.slug
        case.transition_to(CaseState.ESCALATED)
        case.queue = queue
        case.claimed_by = None
        case.claimed_at = case.lease_expires_at = None
        case.updated_at = timezone.now()
        case.save()
        record_audit(
            "moderation.case_escalated",
            actor=actor,
            request=request,
            target=case,
            details={"from_queue": from_queue, "to_queue": queue.slug},
        )
    return case


# --- Claims ------------------------------------------------------------------------------------


def claimable_cases(queue: Queue, roles: list[str], now: datetime) -> list[QuerySet[Case]]:
    """The free cases of the queue and its abandoned claims (lease expired) that the holder of
    ``roles`` may take, each best first. Two queries, each served by its own index."""
    base = Case.objects.filter(
        queue=queue, state__in=ACTIVE_STATES, required_role__in=roles
    ).order_by("-priority_key", "opened_at")
    return [
        base.filter(claimed_by__isnull=True),
        base.filter(claimed_by__isnull=False, lease_expires_at__lte=now),
    ]


def _best(candidates: list[Case | None]) -> Case | None:
    cases = [case for case in candidates if case is not None]
    if not cases:
        return None
    return min(cases, key=lambda case: (-case.priority_key, case.opened_at))


def claim_next_case(
    queue: Queue, *, actor: Any, roles: list[str], request: HttpRequest | None = None
) -> Case | None:
    """Claim the best case of the queue for 10 minutes, or None when none is free. Concurrent
    claimers never get the same case: on PostgreSQL the row is locked with SKIP LOCKED (others
    take the next one); elsewhere a conditional UPDATE takes it only if it is still free."""
    now = timezone.now()
    _check_item_cap(actor, now)
    with transaction.atomic():
        sources = claimable_cases(queue, roles, now)
        if connection.features.has_select_for_update_skip_locked:
            case = _best(
                [
                    source.select_for_update(skip_locked=True, of=("self",)).first()
                    for source in sources
                ]
            )
            if case is None:
                return None
            previous = case.claimed_by_id
            _take(case, actor, now)
        else:
            case = None
            candidates = sorted(
                (row for source in sources for row in source.values_list(
                    "pk", "priority_key", "opened_at", "claimed_by"
                )[:20]),
                key=lambda row: (-row[1], row[2]),
            )  # fmt: skip
            for candidate_id, _key, _opened, holder in candidates:
                if _take_if_free(candidate_id, actor, now):
                    case = Case.objects.get(pk=candidate_id)
                    previous = holder
                    break
            if case is None:
                return None
        _after_claim(case, actor, request, previous, now)
    return case


def claim_case(case: Case, *, actor: Any, request: HttpRequest | None = None) -> Case:
    """Claim one given case; refused (ClaimConflict) while another person's lease is live."""
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state not in ACTIVE_STATES:
            raise ClaimConflict("This case is no longer open for review.")
        if locked.lease_is_live(now) and locked.claimed_by_id != actor.pk:
            raise ClaimConflict("Someone else is reviewing this case.")
        previous = locked.claimed_by_id
        if previous != actor.pk:
            _check_item_cap(actor, now)
        _take(locked, actor, now)
        _after_claim(locked, actor, request, previous, now)
    return locked


def renew_claim(case: Case, *, actor: Any) -> Case:
    """Extend the caller's lease by another 10 minutes (not audited: nothing changes hands)."""
    now = timezone.now()
    updated = Case.objects.filter(pk=case.pk, claimed_by=actor, state__in=ACTIVE_STATES).update(
        lease_expires_at=now + LEASE_DURATION
    )
    if not updated:
        raise ClaimConflict("You do not hold this case any more; claim it again.")
    case.refresh_from_db()
    return case


def release_case(case: Case, *, actor: Any, request: HttpRequest | None = None) -> Case:
    """Give the case back to its queue."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.claimed_by_id != actor.pk:
            raise ClaimConflict("You do not hold this case.")
        locked.claimed_by = None
        locked.claimed_at = locked.lease_expires_at = None
        if locked.state == CaseState.IN_REVIEW:
            locked.transition_to(CaseState.OPEN)
        locked.updated_at = timezone.now()
        locked.save()
        record_audit(
            "moderation.case_released",
            actor=actor,
            request=request,
            target=locked,
            details={"queue": locked.queue.slug},
        )
    return locked


def _take(case: Case, actor: Any, now: datetime) -> None:
    case.claimed_by = actor
    case.claimed_at = now
    case.lease_expires_at = now + LEASE_DURATION
    if case.state == CaseState.OPEN:
        case.transition_to(CaseState.IN_REVIEW)
    case.updated_at = now
    case.save(update_fields=["claimed_by", "claimed_at", "lease_expires_at", "state", "updated_at"])


def _take_if_free(case_id: int, actor: Any, now: datetime) -> bool:
    """Claim only if still free: the UPDATE's own WHERE decides, so two claimers cannot both
    succeed even without row locks."""
    return bool(
        Case.objects.filter(pk=case_id, state__in=ACTIVE_STATES)
        .filter(Q(claimed_by__isnull=True) | Q(lease_expires_at__lte=now))
        .update(
            claimed_by=actor, claimed_at=now, lease_expires_at=now + LEASE_DURATION, updated_at=now
        )
    )


def _after_claim(
    case: Case, actor: Any, request: HttpRequest | None, previous: int | None, now: datetime
) -> None:
    if case.state == CaseState.OPEN:
        case.transition_to(CaseState.IN_REVIEW)
        case.save(update_fields=["state"])
    details: dict[str, Any] = {
        "queue_id": case.queue_id,
        "lease_expires_at": case.lease_expires_at,
    }
    if previous is not None and previous != actor.pk:
        details["expired_claim_of"] = previous
    if previous != actor.pk:
        _count_item_viewed(actor, now)
    record_audit(
        "moderation.case_claimed", actor=actor, request=request, target=case, details=details
    )


# --- Figures for the queue list ----------------------------------------------------------------


@dataclass
class QueueFigures:
    queue: Queue
    waiting: int = 0
    claimed: int = 0
    overdue: int = 0
    oldest_opened_at: datetime | None = None


def queue_figures(queues: list[Queue], roles: list[str]) -> list[QueueFigures]:
    """Per queue: cases waiting (no live lease), claimed, past their SLA, and the oldest."""
    now = timezone.now()
    live_lease = Q(claimed_by__isnull=False, lease_expires_at__gt=now)
    rows = (
        Case.objects.filter(queue__in=queues, state__in=ACTIVE_STATES, required_role__in=roles)
        .values("queue")
        .annotate(
            claimed=Count("pk", filter=live_lease),
            total=Count("pk"),
            overdue=Count("pk", filter=Q(sla_due_at__lt=now)),
            oldest=Min("opened_at"),
        )
    )
    by_queue = {row["queue"]: row for row in rows}
    figures = []
    for queue in queues:
        row = by_queue.get(queue.pk)
        if row is None:
            figures.append(QueueFigures(queue))
            continue
        figures.append(
            QueueFigures(
                queue,
                waiting=row["total"] - row["claimed"],
                claimed=row["claimed"],
                overdue=row["overdue"],
                oldest_opened_at=row["oldest"],
            )
        )
    return figures


# --- Settings ----------------------------------------------------------------------------------


def current_settings() -> ModerationSettings:
    return ModerationSettings.objects.filter(pk=1).first() or ModerationSettings(pk=1)


def update_moderation_settings(
    changes: dict[str, Any], *, actor: Any, request: HttpRequest | None = None
) -> ModerationSettings:
    with transaction.atomic():
        current = current_settings()
        changed = _apply_changes(current, changes)
        current.updated_at = timezone.now()
        current.save()
        record_audit(
            "moderation.settings_changed",
            actor=actor,
            request=request,
            target=current,
            details={"changed": changed},
        )
    return current


# --- Reviewer exposure -------------------------------------------------------------------------


class ExposureCapReached(ModerationError):
    """The reviewer reached a daily exposure cap."""


@dataclass(frozen=True)
class ExposureStatus:
    items_viewed: int
    media_revealed: int
    item_cap: int
    reveal_cap: int
    items_since_break: int
    minutes_since_break: int
    break_after_items: int
    break_after_minutes: int

    @property
    def break_due(self) -> bool:
        return (
            self.items_since_break >= self.break_after_items
            or self.minutes_since_break >= self.break_after_minutes
        )

    @property
    def items_left(self) -> int:
        return max(0, self.item_cap - self.items_viewed)

    @property
    def reveals_left(self) -> int:
        return max(0, self.reveal_cap - self.media_revealed)


def _exposure_row(reviewer: Any, now: datetime, lock: bool = False) -> ReviewerExposure:
    day = timezone.localdate(now)
    rows = ReviewerExposure.objects.select_for_update() if lock else ReviewerExposure.objects
    row = rows.filter(reviewer=reviewer, day=day).first()
    if row is None:
        try:
            with transaction.atomic():
                row = ReviewerExposure.objects.create(reviewer=reviewer, day=day)
        except IntegrityError:  # created meanwhile by another request of the same reviewer
            row = rows.get(reviewer=reviewer, day=day)
    return row


def exposure_status(reviewer: Any, now: datetime | None = None) -> ExposureStatus:
    now = now or timezone.now()
    config = current_settings()
    day = timezone.localdate(now)
    row = ReviewerExposure.objects.filter(reviewer=reviewer, day=day).first()
    started = row.session_started_at if row is not None else None
    return ExposureStatus(
        items_viewed=row.items_viewed if row else 0,
        media_revealed=row.media_revealed if row else 0,
        item_cap=config.daily_item_cap,
        reveal_cap=config.daily_reveal_cap,
        items_since_break=row.items_since_break if row else 0,
        minutes_since_break=int((now - started).total_seconds() // 60) if started else 0,
        break_after_items=config.break_after_items,
        break_after_minutes=config.break_after_minutes,
    )


def _check_item_cap(actor: Any, now: datetime) -> None:
    status = exposure_status(actor, now)
    if status.items_left <= 0:
        raise ExposureCapReached(
            f"You reached today's limit of {status.item_cap} cases. Please stop reviewing for "
            "today; the limit protects you, and it resets tomorrow."
        )


def _count_item_viewed(actor: Any, now: datetime) -> None:
    row = _exposure_row(actor, now, lock=True)
    row.items_viewed += 1
    row.items_since_break += 1
    if row.session_started_at is None:
        row.session_started_at = now
    row.save(update_fields=["items_viewed", "items_since_break", "session_started_at"])


def record_break(actor: Any, *, request: HttpRequest | None = None) -> None:
    """The reviewer took a break: the break prompt counts from now."""
    now = timezone.now()
    with transaction.atomic():
        row = _exposure_row(actor, now, lock=True)
        row.items_since_break = 0
        row.session_started_at = now
        row.save(update_fields=["items_since_break", "session_started_at"])


def reveal_media(
    case: Case, report: Report, *, actor: Any, request: HttpRequest | None = None
) -> ExposureStatus:
    """Reveal one report's media to the reviewer holding the case: counted against the daily
    cap (refused at the cap), written to the audit log."""
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not locked.is_claimed_by(actor):
            raise ClaimConflict("Claim the case before revealing its media.")
        row = _exposure_row(actor, now, lock=True)
        cap = current_settings().daily_reveal_cap
        if row.media_revealed >= cap:
            raise ExposureCapReached(
                f"You revealed {cap} media today, the daily limit. The media stay blurred; "
                "decide from the text and the reports, or hand the case to a colleague."
            )
        row.media_revealed += 1
        row.save(update_fields=["media_revealed"])
        record_audit(
            "moderation.media_revealed",
            actor=actor,
            request=request,
            target=locked,
            details={
                "report": str(report.public_id),
                "media_hash": report.media_hash,
                "revealed_today": row.media_revealed,
            },
        )
    return exposure_status(actor, now)


# --- Decisions ---------------------------------------------------------------------------------


class DecisionConflict(ModerationError):
    """The case cannot be decided by this person now (HTTP 409)."""


def _finish_review(case: Case, now: datetime) -> None:
    case.transition_to(CaseState.DECIDED)
    case.claimed_by = None
    case.claimed_at = case.lease_expires_at = None
    case.updated_at = now
    case.save()


def _announce_decision(decision: Decision) -> None:
    from safeharbor.core.webhooks import emit_event
    from safeharbor.moderation.statements import decision_data
    from safeharbor.moderation.tasks import send_decision_notices

    emit_event("moderation.decision", decision_data(decision))
    decision_id = decision.pk
    transaction.on_commit(lambda: send_decision_notices.enqueue(decision_id))


def decide_case(
    case: Case, decision: Decision, *, actor: Any, request: HttpRequest | None = None
) -> Decision:
    """Record the decision of the reviewer holding the case (anyone else: DecisionConflict),
    close the review, send the decision to the platform and the notices. ``decision`` is
    unsaved; its statement of reasons is validated (``Decision.clean``, ValidationError)."""
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not locked.is_claimed_by(actor):
            raise DecisionConflict(
                "Only the reviewer who holds this case may decide it: claim it first."
            )
        if locked.state not in (CaseState.IN_REVIEW, CaseState.ESCALATED):
            raise DecisionConflict("This case is not awaiting a first decision.")
        decision = _complete(decision, locked, actor, now)
        decision.save()
        _finish_review(locked, now)
        record_audit(
            "moderation.decision_made",
            actor=actor,
            request=request,
            target=locked,
            details=_decision_details(decision),
        )
        _announce_decision(decision)
    return decision


def correct_decision(
    earlier: Decision, decision: Decision, *, actor: Any, request: HttpRequest | None = None
) -> Decision:
    """Decisions are immutable: a correction is a new decision that ``corrects`` the latest one
    of a decided case (not while an appeal is open)."""
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=earlier.case_id)
        latest = case.decisions.order_by("-created_at", "-pk").first()
        if case.state != CaseState.DECIDED or latest is None or latest.pk != earlier.pk:
            raise DecisionConflict("Only the latest decision of a decided case can be corrected.")
        decision.corrects = earlier
        decision = _complete(decision, case, actor, now)
        decision.save()
        case.updated_at = now
        case.save(update_fields=["updated_at"])
        record_audit(
            "moderation.decision_corrected",
            actor=actor,
            request=request,
            target=case,
            details=_decision_details(decision),
        )
        _announce_decision(decision)
    return decision


def _complete(decision: Decision, case: Case, actor: Any, now: datetime) -> Decision:
    decision.case = case
    decision.decided_by = actor
    decision.created_at = now
    decision.application_date = now
    if not decision.category_specification and decision.policy.dsa_keyword:
        decision.category_specification = [decision.policy.dsa_keyword]
    decision.normalize()
    decision.clean()
    return decision


def _decision_details(decision: Decision) -> dict[str, Any]:
    return {
        "decision": str(decision.public_id),
        "action": decision.action,
        "policy": decision.policy.slug,
        "ground": decision.decision_ground,
        "corrects": str(decision.corrects.public_id) if decision.corrects else None,
    }


def decisions_on_author(case: Case, limit: int = 20) -> list[Decision]:
    """Earlier decisions on other content of the same author (context for the reviewer)."""
    if not case.author_id:
        return []
    return list(
        Decision.objects.filter(case__author_id=case.author_id)
        .exclude(case=case)
        .select_related("case", "policy")
        .order_by("-created_at")[:limit]
    )


# --- Appeals -----------------------------------------------------------------------------------


class AppealRefused(ModerationError):
    """The appeal cannot be filed (window closed, nothing to appeal, already appealed)."""

    def __init__(self, message: str, code: str = "conflict", **extensions: Any) -> None:
        super().__init__(message)
        self.code = code
        self.extensions = extensions


def file_appeal(
    decision: Decision,
    *,
    appellant_id: str,
    text: str,
    request: HttpRequest | None = None,
) -> Appeal:
    """The content owner contests a decision within the appeal window; the case goes back to
    its queue as appealed, for a different reviewer."""
    now = timezone.now()
    window = current_settings().appeal_window_days
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=decision.case_id)
        existing = Appeal.objects.filter(decision=decision).first()
        if existing is not None:
            raise AppealRefused(
                "This decision was appealed already.", appeal_id=str(existing.public_id)
            )
        if not decision.restricts:
            raise AppealRefused("This decision restricts nothing: there is nothing to appeal.")
        latest = case.decisions.order_by("-created_at", "-pk").first()
        if case.state != CaseState.DECIDED or latest is None or latest.pk != decision.pk:
            raise AppealRefused("Only the decision in force on a decided case can be appealed.")
        if case.author_id and appellant_id != case.author_id:
            raise AppealRefused(
                "Only the content owner (the case's author_id) may appeal.",
                code="not-content-owner",
            )
        deadline = decision.created_at + timedelta(days=window)
        if now > deadline:
            raise AppealRefused(
                f"The appeal window of {window} days closed on {deadline:%Y-%m-%d}.",
                code="appeal-window-closed",
                deadline=deadline.isoformat(),
            )
        appeal = Appeal.objects.create(
            case=case, decision=decision, appellant_id=appellant_id, appellant_text=text
        )
        case.transition_to(CaseState.APPEALED)
        case.opened_at = now  # the appeal waits from now: priority age and SLA restart
        case.sla_due_at = now + timedelta(hours=case.category.sla_hours)
        case.updated_at = now
        _reprioritize(case)
        case.save()
        record_audit(
            "moderation.appeal_filed",
            request=request,
            target=case,
            details={"appeal": str(appeal.public_id), "decision": str(decision.public_id)},
        )
    return appeal


def decide_appeal(
    appeal: Appeal,
    *,
    outcome: str,
    explanation: str,
    actor: Any,
    request: HttpRequest | None = None,
) -> Appeal:
    """A reviewer other than the one who decided upholds or reverses. A reversal is a new
    decision of no violation that corrects the original; both outcomes go to the platform."""
    from safeharbor.core.webhooks import emit_event
    from safeharbor.moderation.statements import appeal_data

    now = timezone.now()
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().select_related("decision").get(pk=appeal.pk)
        case = Case.objects.select_for_update().get(pk=locked.case_id)
        if locked.state == AppealState.DECIDED:
            raise DecisionConflict("This appeal is decided already.")
        if not case.is_claimed_by(actor):
            raise DecisionConflict("Only the reviewer who holds this case may decide the appeal.")
        if locked.decision.decided_by_id == actor.pk:
            raise DecisionConflict(
                "You made the decision under appeal: a different reviewer must decide it."
            )
        if outcome not in AppealOutcome.values:
            raise ModerationError("Choose to uphold or to reverse the decision.")
        if not explanation.strip():
            raise ModerationError("Explain the outcome of the appeal.")
        original = locked.decision
        if outcome == AppealOutcome.REVERSE:
            reversal = Decision(
                action=DecisionAction.NO_VIOLATION,
                policy=original.policy,
                corrects=original,
                decision_facts=explanation,
                automated_detection=original.automated_detection,
            )
            locked.outcome_decision = _complete(reversal, case, actor, now)
            reversal.save()
        locked.state = AppealState.DECIDED
        locked.outcome = outcome
        locked.decided_by = actor
        locked.decided_at = now
        locked.save()
        _finish_review(case, now)
        record_audit(
            "moderation.appeal_decided",
            actor=actor,
            request=request,
            target=case,
            details={
                "appeal": str(locked.public_id),
                "outcome": outcome,
                "decision": str(original.public_id),
                "new_decision": (
                    str(locked.outcome_decision.public_id) if locked.outcome_decision else None
                ),
            },
        )
        emit_event("moderation.appeal_decided", appeal_data(locked))
    return locked


def open_appeal_of(case: Case) -> Appeal | None:
    return (
        Appeal.objects.filter(case=case, state__in=[AppealState.OPEN, AppealState.IN_REVIEW])
        .select_related("decision", "decision__decided_by", "decision__policy")
        .first()
    )
