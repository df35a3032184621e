"""Trust & safety data: policy taxonomy, reports, cases, queues and claims, decisions with DSA
statements of reasons, appeals and reviewer exposure. Invariants live here; changes go through
``services.py``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from safeharbor.moderation import dsa

# A case waits at most this long for a review before its SLA is breached, by severity tier
# (1 = most severe). A category may set its own value; these are the defaults.
SLA_HOURS_BY_TIER = {1: 1, 2: 4, 3: 24, 4: 72}
LEASE_DURATION = timedelta(minutes=10)
CHILD_SAFETY_ROLE = "child-safety"


class SeverityTier(models.IntegerChoices):
    CRITICAL = 1, "1 — critical (imminent harm, child safety)"
    HIGH = 2, "2 — high"
    MEDIUM = 3, "3 — medium"
    LOW = 4, "4 — low"


class RequiredRole(models.TextChoices):
    ANY_MODERATOR = "", "Any moderator"
    CHILD_SAFETY = CHILD_SAFETY_ROLE, "Child-safety specialists only"


class PolicyCategory(models.Model):
    """One entry of the policy taxonomy: what a report is about, how severe it is, who may see
    it, and which DSA statement-of-reasons category a decision on it is filed under."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    severity_tier = models.PositiveSmallIntegerField(choices=SeverityTier.choices)
    required_role = models.CharField(
        max_length=32, choices=RequiredRole.choices, default="", blank=True
    )
    dsa_category = models.CharField(max_length=80, choices=dsa.StatementCategory.choices)
    dsa_keyword = models.CharField(
        max_length=64, choices=dsa.Keyword.choices, blank=True, help_text="DSA specification."
    )
    sla_hours = models.PositiveIntegerField(help_text="Hours until a case breaches its SLA.")
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on forms.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = "policy categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(severity_tier__gte=1, severity_tier__lte=4),
                name="moderation_category_tier_1_to_4",
            ),
            models.CheckConstraint(
                condition=Q(sla_hours__gte=1), name="moderation_category_sla_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Queue(models.Model):
    """A review queue. Routing picks, among active non-escalation queues in ``position`` order,
    the first whose rules match the case: its required role equals the case's, its categories
    (empty = any) include the case's, and its languages (empty = any) include the case's."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=100)
    required_role = models.CharField(
        max_length=32, choices=RequiredRole.choices, default="", blank=True
    )
    categories = models.ManyToManyField(PolicyCategory, blank=True, related_name="queues")
    languages = models.JSONField(default=list, blank=True, help_text="Language codes; [] = any.")
    is_escalation = models.BooleanField(
        default=False, help_text="Receives escalated cases of its required role; never routed to."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name


class CaseState(models.TextChoices):
    OPEN = "open", "Open"
    IN_REVIEW = "in_review", "In review"
    ESCALATED = "escalated", "Escalated"
    DECIDED = "decided", "Decided"
    APPEALED = "appealed", "Appealed"
    CLOSED = "closed", "Closed"


# States in which new reports about the same content join the case, and in which it can be
# claimed. At most one case per content id is in one of these states (a unique constraint).
ACTIVE_STATES = (CaseState.OPEN, CaseState.IN_REVIEW, CaseState.ESCALATED, CaseState.APPEALED)

# The one table of allowed state changes; Case.transition_to() enforces it.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseState.OPEN: frozenset(
        {CaseState.IN_REVIEW, CaseState.ESCALATED, CaseState.DECIDED, CaseState.CLOSED}
    ),
    CaseState.IN_REVIEW: frozenset(
        {CaseState.OPEN, CaseState.ESCALATED, CaseState.DECIDED, CaseState.CLOSED}
    ),
    CaseState.ESCALATED: frozenset({CaseState.DECIDED, CaseState.CLOSED}),
    CaseState.DECIDED: frozenset({CaseState.APPEALED, CaseState.CLOSED}),
    CaseState.APPEALED: frozenset({CaseState.DECIDED, CaseState.CLOSED}),
    CaseState.CLOSED: frozenset(),
}


class InvalidTransition(ValueError):
    pass


class Case(models.Model):
    """All reports about one piece of platform content while it awaits (re)review."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    content_id = models.CharField(max_length=200)
    content_type = models.CharField(max_length=20, blank=True)
    content_url = models.CharField(max_length=2000, blank=True)
    content_language = models.CharField(max_length=16, blank=True)
    author_id = models.CharField(max_length=200, blank=True)
    category = models.ForeignKey(PolicyCategory, on_delete=models.PROTECT, related_name="+")
    required_role = models.CharField(max_length=32, blank=True, default="")
    severity_tier = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=16, choices=CaseState.choices, default=CaseState.OPEN)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="cases")
    # Priority (see services.priority_points): the points without age, and the sort key that
    # adds age exactly — ordering by key equals ordering by points + hours waiting.
    priority_points = models.IntegerField(default=0)
    priority_key = models.BigIntegerField(default=0)
    report_count = models.PositiveIntegerField(default=0)
    distinct_reporters = models.PositiveIntegerField(default=0)
    reach = models.BigIntegerField(default=0)
    reporter_trust = models.CharField(max_length=20, default="user")
    opened_at = models.DateTimeField(default=timezone.now)
    sla_due_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claimed_cases",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [
            ("review_cases", "Can see the review queues and claim cases"),
            ("review_child_safety_cases", "Can see and claim child-safety cases"),
            ("view_transparency_figures", "Can see moderation figures for transparency"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_id"],
                condition=Q(state__in=[state.value for state in ACTIVE_STATES]),
                name="moderation_one_active_case_per_content",
            ),
        ]
        indexes = [
            # Claim-next: the best free case of one queue, highest key first, then oldest. Claimed
            # cases leave this index, so a busy queue's head is never a run of claimed rows.
            models.Index(
                fields=["queue", "-priority_key", "opened_at"],
                name="moderation_case_claim_idx",
                condition=Q(
                    state__in=[state.value for state in ACTIVE_STATES], claimed_by__isnull=True
                ),
            ),
            # Claimed cases by lease end: finds abandoned claims (few rows: one per reviewer).
            models.Index(
                fields=["queue", "lease_expires_at"],
                name="moderation_case_lease_idx",
                condition=Q(claimed_by__isnull=False),
            ),
            models.Index(fields=["author_id"], name="moderation_case_author_idx"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.category_id and self.category.name})"

    def transition_to(self, state: str) -> None:
        """Change the state if the table allows it; the caller saves."""
        if state not in TRANSITIONS[self.state]:
            raise InvalidTransition(f"A case cannot go from {self.state} to {state}.")
        self.state = state
        if state == CaseState.CLOSED:
            self.closed_at = timezone.now()

    def lease_is_live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.claimed_by_id is not None
            and self.lease_expires_at is not None
            and self.lease_expires_at > now
        )

    def is_claimed_by(self, user: Any) -> bool:
        return self.lease_is_live() and self.claimed_by_id == getattr(user, "pk", None)

    @property
    def is_overdue(self) -> bool:
        return self.state in ACTIVE_STATES and self.sla_due_at < timezone.now()

    @property
    def hours_waiting(self) -> float:
        return (timezone.now() - self.opened_at).total_seconds() / 3600

    @property
    def priority_now(self) -> int:
        return self.priority_points + int(self.hours_waiting)


class ReportSource(models.TextChoices):
    USER = "user", "User"
    TRUSTED_FLAGGER = "trusted_flagger", "Trusted flagger"
    AUTOMATED = "automated", "Automated detection"
    HASH_MATCH = "hash_match", "Known-content hash match"


class ReportChannel(models.TextChoices):
    API = "api", "Platform API"
    WEB_FORM = "web_form", "Public web form"


class ContentType(models.TextChoices):
    TEXT = "text", "Text"
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    ACCOUNT = "account", "Account or profile"
    MESSAGE = "message", "Private message"
    LIVESTREAM = "livestream", "Live stream"
    OTHER = "other", "Other"


class Report(models.Model):
    """One notice about one piece of content. Reports are never changed once stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    category = models.ForeignKey(PolicyCategory, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=ReportChannel.choices)
    source = models.CharField(max_length=20, choices=ReportSource.choices)
    trusted_flagger = models.BooleanField(default=False)
    api_key = models.ForeignKey(
        "accounts.APIKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # NULL, not "": reports without a key are outside the unique constraint.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    request_fingerprint = models.CharField(max_length=64, blank=True)
    reporter_id = models.CharField(max_length=200, blank=True)
    reporter_email = models.EmailField(
        blank=True, help_text="Where the reporter wants the outcome sent; optional."
    )
    content_id = models.CharField(max_length=200)
    content_url = models.CharField(max_length=2000, blank=True)
    content_type = models.CharField(max_length=20, choices=ContentType.choices)
    content_text = models.TextField(blank=True)
    content_metadata = models.JSONField(default=dict, blank=True)
    content_language = models.CharField(max_length=16, blank=True)
    media_url = models.CharField(max_length=2000, blank=True)
    media_hash = models.CharField(max_length=300, blank=True)
    author_id = models.CharField(max_length=200, blank=True)
    free_text = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="moderation_report_idempotency",
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.public_id}"

    @property
    def reporter_key(self) -> str:
        """Who counts as one reporter: anonymous reports all count as one together."""
        return self.reporter_id or "anonymous"


# --- Decisions, appeals, exposure (their services arrive with the review work) -----------------


class DecisionAction(models.TextChoices):
    NO_VIOLATION = "no_violation", "No violation"
    REMOVE = "remove", "Remove"
    RESTRICT = "restrict", "Restrict visibility or age-gate"
    LABEL = "label", "Label"
    REDUCE_REACH = "reduce_reach", "Reduce reach"
    SUSPEND = "suspend", "Suspend the account"
    BAN = "ban", "Ban the account"
    ESCALATE = "escalate", "Escalate"


class ImmutableError(RuntimeError):
    pass


# The restriction each action implies when the reviewer picks none: (visibility, account).
ACTION_RESTRICTIONS: dict[str, tuple[str | None, str | None]] = {
    DecisionAction.REMOVE: (dsa.DecisionVisibility.CONTENT_REMOVED, None),
    DecisionAction.RESTRICT: (dsa.DecisionVisibility.CONTENT_AGE_RESTRICTED, None),
    DecisionAction.LABEL: (dsa.DecisionVisibility.CONTENT_LABELLED, None),
    DecisionAction.REDUCE_REACH: (dsa.DecisionVisibility.CONTENT_DEMOTED, None),
    DecisionAction.SUSPEND: (None, dsa.DecisionAccount.SUSPENDED),
    DecisionAction.BAN: (None, dsa.DecisionAccount.TERMINATED),
}


class Decision(models.Model):
    """A decision on a case with its DSA statement of reasons (Art. 17; field names follow the
    DSA Transparency Database). Immutable: a correction is a new decision that ``corrects`` it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(max_length=20, choices=DecisionAction.choices)
    policy = models.ForeignKey(PolicyCategory, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Statement of reasons.
    decision_visibility = models.JSONField(default=list, blank=True)
    decision_visibility_other = models.CharField(max_length=500, blank=True)
    decision_monetary = models.CharField(
        max_length=40, choices=dsa.DecisionMonetary.choices, blank=True
    )
    decision_monetary_other = models.CharField(max_length=500, blank=True)
    decision_provision = models.CharField(
        max_length=48, choices=dsa.DecisionProvision.choices, blank=True
    )
    decision_account = models.CharField(
        max_length=40, choices=dsa.DecisionAccount.choices, blank=True
    )
    decision_ground = models.CharField(max_length=48, choices=dsa.DecisionGround.choices)
    illegal_content_legal_ground = models.CharField(max_length=500, blank=True)
    illegal_content_explanation = models.TextField(max_length=2000, blank=True)
    incompatible_content_ground = models.CharField(max_length=500, blank=True)
    incompatible_content_explanation = models.TextField(max_length=2000, blank=True)
    incompatible_content_illegal = models.BooleanField(null=True, blank=True)
    decision_facts = models.TextField(max_length=5000)
    automated_detection = models.BooleanField(default=False)
    automated_decision = models.CharField(
        max_length=40,
        choices=dsa.AutomatedDecision.choices,
        default=dsa.AutomatedDecision.NOT_AUTOMATED,
    )
    territorial_scope = models.JSONField(default=list, blank=True)
    category_specification = models.JSONField(default=list, blank=True)
    application_date = models.DateTimeField(default=timezone.now)
    end_date = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Decision {self.public_id}: {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError("Decisions are immutable; record a correcting decision.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("Decisions are never deleted.")

    @property
    def restricts(self) -> bool:
        """Whether this decision restricts anything (and so needs a statement of reasons)."""
        return self.action not in (DecisionAction.NO_VIOLATION, DecisionAction.ESCALATE)

    def normalize(self) -> None:
        """Keep only what applies: the chosen ground's fields (none without a restriction), and
        for a restricting action without any restriction chosen, the one it implies."""
        if self.decision_ground != dsa.DecisionGround.ILLEGAL_CONTENT:
            self.illegal_content_legal_ground = self.illegal_content_explanation = ""
        if self.decision_ground != dsa.DecisionGround.INCOMPATIBLE_CONTENT:
            self.incompatible_content_ground = self.incompatible_content_explanation = ""
            self.incompatible_content_illegal = None
        if not self.restricts:
            self.decision_ground = ""
            self.illegal_content_legal_ground = self.illegal_content_explanation = ""
            self.incompatible_content_ground = self.incompatible_content_explanation = ""
            self.incompatible_content_illegal = None
            self.territorial_scope = []
            return
        if self.has_restriction:
            return
        visibility, account = ACTION_RESTRICTIONS.get(self.action, (None, None))
        if visibility:
            self.decision_visibility = [visibility]
        if account:
            self.decision_account = account

    @property
    def has_restriction(self) -> bool:
        return bool(
            self.decision_visibility
            or self.decision_monetary
            or self.decision_provision
            or self.decision_account
        )

    def clean(self) -> None:
        """The statement of reasons is complete as Art. 17 DSA and the Transparency Database
        require: a restriction, a ground with its legal or contractual basis and explanation,
        the facts, the automation flags and the territorial scope."""
        errors: dict[str, str] = {}
        if not self.decision_facts.strip():
            errors["decision_facts"] = "State the facts and circumstances relied on."
        unknown = set(self.decision_visibility) - set(dsa.DecisionVisibility.values)
        if unknown:
            errors["decision_visibility"] = f"Unknown visibility restriction: {sorted(unknown)}."
        unknown_scope = set(self.territorial_scope) - set(dsa.EEA_COUNTRIES)
        if unknown_scope:
            errors["territorial_scope"] = (
                f"Not EEA country codes: {', '.join(sorted(unknown_scope))}."
            )
        if not self.restricts:
            if self.has_restriction:
                errors["action"] = "A decision of no violation cannot restrict anything."
            if errors:
                raise ValidationError(errors)
            return
        if not self.has_restriction:
            errors["decision_visibility"] = (
                "Choose at least one restriction: of visibility, of the account, of monetary "
                "payments or of the service."
            )
        if (
            dsa.DecisionVisibility.OTHER in self.decision_visibility
            and not self.decision_visibility_other.strip()
        ):
            errors["decision_visibility_other"] = "Describe the other visibility restriction."
        if (
            self.decision_monetary == dsa.DecisionMonetary.OTHER
            and not self.decision_monetary_other.strip()
        ):
            errors["decision_monetary_other"] = "Describe the other monetary restriction."
        if self.decision_ground == dsa.DecisionGround.ILLEGAL_CONTENT:
            if not self.illegal_content_legal_ground.strip():
                errors["illegal_content_legal_ground"] = (
                    "Name the law the content breaks (illegal content needs a legal ground)."
                )
            if not self.illegal_content_explanation.strip():
                errors["illegal_content_explanation"] = (
                    "Explain why the content is illegal under that law."
                )
        elif self.decision_ground == dsa.DecisionGround.INCOMPATIBLE_CONTENT:
            if not self.incompatible_content_ground.strip():
                errors["incompatible_content_ground"] = (
                    "Cite the clause of the terms of service the content breaks."
                )
            if not self.incompatible_content_explanation.strip():
                errors["incompatible_content_explanation"] = (
                    "Explain why the content is incompatible with that clause."
                )
        else:
            errors["decision_ground"] = (
                "Choose the ground: illegal content or incompatible with the terms."
            )
        if not self.territorial_scope:
            errors["territorial_scope"] = "Choose where the restriction applies."
        if self.end_date is not None and self.end_date <= self.application_date:
            errors["end_date"] = "The restriction must end after it starts."
        if errors:
            raise ValidationError(errors)


class AppealState(models.TextChoices):
    OPEN = "open", "Open"
    IN_REVIEW = "in_review", "In review"
    DECIDED = "decided", "Decided"


class AppealOutcome(models.TextChoices):
    UPHOLD = "uphold", "Upheld"
    REVERSE = "reverse", "Reversed"


class Appeal(models.Model):
    """The content owner contests a decision (DSA Art. 20); a different reviewer decides."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appeals")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="appeals")
    appellant_id = models.CharField(max_length=200)
    appellant_text = models.TextField(max_length=5000)
    state = models.CharField(max_length=16, choices=AppealState.choices, default=AppealState.OPEN)
    outcome = models.CharField(max_length=16, choices=AppealOutcome.choices, blank=True)
    outcome_decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["decision"], name="moderation_one_appeal_per_decision")
        ]

    def __str__(self) -> str:
        return f"Appeal {self.public_id}"


class ReviewerExposure(models.Model):
    """How much a reviewer saw on one day: the basis of exposure caps and break prompts."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exposure_days"
    )
    day = models.DateField()
    items_viewed = models.PositiveIntegerField(default=0)
    media_revealed = models.PositiveIntegerField(default=0)
    # Since the last break: the basis of break prompts.
    items_since_break = models.PositiveIntegerField(default=0)
    session_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "day"], name="moderation_exposure_day")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.day}"


class ModerationSettings(models.Model):
    """This installation's moderation policy (one row, edited by administrators)."""

    appeal_window_days = models.PositiveSmallIntegerField(
        default=183,
        help_text="Days after a decision during which its content owner may appeal (the DSA "
        "asks for at least six months).",
    )
    daily_item_cap = models.PositiveIntegerField(
        default=200, help_text="Cases one reviewer may take per day."
    )
    daily_reveal_cap = models.PositiveIntegerField(
        default=60, help_text="Media one reviewer may reveal per day."
    )
    break_after_items = models.PositiveIntegerField(
        default=25, help_text="Suggest a break after this many cases without one."
    )
    break_after_minutes = models.PositiveIntegerField(
        default=90, help_text="Suggest a break after this many minutes without one."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "moderation settings"
        verbose_name_plural = "moderation settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(appeal_window_days__gte=1), name="moderation_settings_window"
            ),
            models.CheckConstraint(
                condition=Q(break_after_items__gte=1, break_after_minutes__gte=1),
                name="moderation_settings_breaks",
            ),
        ]

    def __str__(self) -> str:
        return "Moderation settings"


class Notice(models.Model):
    """One email notice sent (or being sent) about a decision or an appeal outcome: the key
    makes the sending task idempotent."""

    key = models.CharField(max_length=300, unique=True)
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="notices")
    recipient = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key
