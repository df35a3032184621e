"""Vulnerability disclosure program and bug bounty: the program, its scope, researchers' reports,
the conversation and timeline of each report, rewards and disclosure. Data and invariants only."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

MAX_MARKDOWN_CHARS = 50_000

cve_id_validator = RegexValidator(
    r"^CVE-\d{4}-\d{4,}\Z", "A CVE ID looks like CVE-2025-12345 (year, then four or more digits)."
)


class Severity(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


# Order for comparisons ("no higher than the asset's maximum severity").
SEVERITY_RANK = {value: rank for rank, value in enumerate(Severity.values)}


class DisclosureMode(models.TextChoices):
    TIMER = "timer", "Disclose a set number of days after resolution unless someone objects"
    MUTUAL = "mutual", "Disclose only when the researcher and the program agree"
    DISABLED = "disabled", "No public disclosure"


SAFE_HARBOR_DEFAULT = """\
We consider security research conducted under this policy to be:

- **Authorized** under anti-hacking laws (such as the Computer Fraud and Abuse Act and similar
  laws elsewhere), and we will not bring a claim against you for accidental, good-faith
  violations of this policy;
- **Exempt from the DMCA** and similar anti-circumvention laws: we will not bring a claim against
  you for circumventing technology controls in the course of this research;
- **Exempt from restrictions in our Terms of Service** that would interfere with security
  research, and we waive those restrictions on a limited basis for research under this policy;
- **Lawful, helpful and conducted in good faith**.

You are expected to comply with all applicable laws. If legal action is initiated by a third
party against you for research under this policy, we will make it known that your actions were
authorized. If in doubt whether your research is consistent with this policy, ask us first.
"""


class Program(models.Model):
    """The installation's disclosure program: one row (pk=1), edited by administrators."""

    name = models.CharField(max_length=200, default="Vulnerability disclosure program")
    policy = models.TextField(
        blank=True,
        max_length=MAX_MARKDOWN_CHARS,
        help_text="Markdown: what to test, how, what not to do, how we respond.",
    )
    # The four disclose.io safe-harbor elements (https://disclose.io) are switched on one by one;
    # the statement text says them in plain words and may be edited.
    safe_harbor_authorization = models.BooleanField(
        "authorises research under anti-hacking law", default=True
    )
    safe_harbor_dmca = models.BooleanField("exempts research from the DMCA", default=True)
    safe_harbor_terms_waiver = models.BooleanField(
        "waives terms-of-service restrictions", default=True
    )
    safe_harbor_good_faith = models.BooleanField("recognises good faith", default=True)
    safe_harbor_statement = models.TextField(
        max_length=MAX_MARKDOWN_CHARS, default=SAFE_HARBOR_DEFAULT, help_text="Markdown."
    )
    disclosure_mode = models.CharField(
        max_length=10, choices=DisclosureMode.choices, default=DisclosureMode.TIMER
    )
    disclosure_delay_days = models.PositiveSmallIntegerField(
        default=30, validators=[MaxValueValidator(365)]
    )
    # Response targets in business days (Monday to Friday).
    first_response_days = models.PositiveSmallIntegerField(default=2)
    triage_days = models.PositiveSmallIntegerField(default=5)
    bounty_days = models.PositiveSmallIntegerField(default=10)
    resolution_days = models.PositiveSmallIntegerField(default=90)
    offers_bounties = models.BooleanField(default=True)
    submissions_open = models.BooleanField(default=True)
    min_reputation_to_submit = models.IntegerField(
        null=True, blank=True, help_text="Leave empty to accept reports from everyone."
    )
    submissions_per_hour = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Reports one researcher may submit per hour (drafts do not count).",
    )
    preferred_languages = models.CharField(
        max_length=100, default="en", help_text="Language tags, comma-separated, e.g. en, fr."
    )
    contact_email = models.EmailField(blank=True)
    encryption_key_url = models.URLField(
        blank=True, help_text="An https:// address of the OpenPGP key for encrypted contact."
    )
    security_txt_expires = models.DateTimeField(
        null=True, blank=True, help_text="When security.txt expires: at most a year ahead."
    )
    # An OpenPGP cleartext-signed copy of the generated security.txt, signed offline with the
    # organisation's key (no private key on the server); served while its text still matches.
    security_txt_signed = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "disclosure program"

    def __str__(self) -> str:
        return self.name

    @property
    def safe_harbor_elements(self) -> list[str]:
        labels = [
            (self.safe_harbor_authorization, "Authorization under anti-hacking laws"),
            (self.safe_harbor_dmca, "DMCA exemption"),
            (self.safe_harbor_terms_waiver, "Terms of service waiver"),
            (self.safe_harbor_good_faith, "Good-faith statement"),
        ]
        return [label for enabled, label in labels if enabled]

    @property
    def language_list(self) -> list[str]:
        return [part.strip() for part in self.preferred_languages.split(",") if part.strip()]


class BountyTable(models.Model):
    """One version of the bounty table. Versions are never edited: a change publishes a new one,
    so every award can be read against the table that applied when it was made."""

    version = models.PositiveIntegerField(unique=True)
    currency = models.CharField(max_length=3, default="USD")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        permissions = [("publish_bountytable", "Can publish a new bounty table version")]

    def __str__(self) -> str:
        return f"Bounty table v{self.version}"


class AssetTier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1 (most critical)"
    TIER_2 = 2, "Tier 2"
    TIER_3 = 3, "Tier 3"


class BountyRange(models.Model):
    table = models.ForeignKey(BountyTable, on_delete=models.CASCADE, related_name="ranges")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    tier = models.PositiveSmallIntegerField(choices=AssetTier.choices)
    min_amount = models.DecimalField(max_digits=10, decimal_places=2)
    max_amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["tier", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["table", "severity", "tier"], name="disclosure_bountyrange_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(min_amount__gte=0)
                & models.Q(max_amount__gte=models.F("min_amount")),
                name="disclosure_bountyrange_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.severity} tier {self.tier}: {self.min_amount}-{self.max_amount}"


class AssetType(models.TextChoices):
    DOMAIN = "domain", "Domain"
    WILDCARD = "wildcard", "Wildcard domain"
    URL = "url", "URL"
    API = "api", "API"
    IOS = "ios", "iOS app"
    ANDROID = "android", "Android app"
    SOURCE = "source", "Source code"
    EXECUTABLE = "executable", "Executable"
    CIDR = "cidr", "CIDR range"
    HARDWARE = "hardware", "Hardware"
    OTHER = "other", "Other"


class Asset(models.Model):
    asset_type = models.CharField(max_length=12, choices=AssetType.choices)
    identifier = models.CharField(max_length=300)
    in_scope = models.BooleanField(default=True)
    bounty_eligible = models.BooleanField(default=True)
    max_severity = models.CharField(
        max_length=10,
        choices=Severity.choices,
        default=Severity.CRITICAL,
        help_text="The highest severity a report on this asset is rated at.",
    )
    tier = models.PositiveSmallIntegerField(choices=AssetTier.choices, default=AssetTier.TIER_2)
    instructions = models.TextField(blank=True, max_length=MAX_MARKDOWN_CHARS)
    archived = models.BooleanField(default=False, help_text="Hidden from the scope and the form.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-in_scope", "tier", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset_type", "identifier"], name="disclosure_asset_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.get_asset_type_display()})"


class ResearcherProfile(models.Model):
    """A researcher's public face and standing. Reputation, signal and impact are derived from
    their closed reports by the rules in reputation.py and stored for cheap listing."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="researcher_profile"
    )
    handle = models.SlugField(max_length=40, unique=True)
    public_profile = models.BooleanField(
        default=False, help_text="Show your handle and standing publicly."
    )
    hall_of_fame = models.BooleanField(
        default=False, help_text="Thank you by handle on the program's thanks page."
    )
    reputation = models.IntegerField(default=0)
    signal = models.FloatField(default=0.0)
    impact = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reputation", "handle"]

    def __str__(self) -> str:
        return self.handle


class WeaknessSource(models.TextChoices):
    CWE = "cwe", "CWE"
    VRT = "vrt", "Bugcrowd VRT"


class Weakness(models.Model):
    """One entry of the weakness taxonomy: a CWE entry, or a Bugcrowd VRT node mapped to CWEs."""

    code = models.CharField(max_length=200, unique=True)  # "CWE-79" or "VRT:category.sub.variant"
    source = models.CharField(max_length=3, choices=WeaknessSource.choices)
    name = models.CharField(max_length=300)
    cwe_ids = models.JSONField(default=list, blank=True)  # e.g. [79]
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    vrt_priority = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["source", "code"]
        verbose_name_plural = "weaknesses"

    def __str__(self) -> str:
        return f"{self.code} {self.name}" if self.source == WeaknessSource.CWE else self.name


class ReportState(models.TextChoices):
    NEW = "new", "New"
    NEEDS_MORE_INFO = "needs_more_info", "Needs more info"
    TRIAGED = "triaged", "Triaged"
    RETESTING = "retesting", "Retesting"
    RESOLVED = "resolved", "Resolved"
    INFORMATIVE = "informative", "Informative"
    DUPLICATE = "duplicate", "Duplicate"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    SPAM = "spam", "Spam"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATES = frozenset(
    {
        ReportState.NEW,
        ReportState.NEEDS_MORE_INFO,
        ReportState.TRIAGED,
        ReportState.RETESTING,
    }
)
CLOSED_STATES = frozenset(set(ReportState) - OPEN_STATES)


class DisclosureState(models.TextChoices):
    NONE = "none", "Not requested"
    REQUESTED = "requested", "Requested"
    AGREED = "agreed", "Agreed"
    OBJECTED = "objected", "Objected"
    DISCLOSED = "disclosed", "Disclosed"


class DisclosureKind(models.TextChoices):
    FULL = "full", "Full"
    LIMITED = "limited", "Limited (summary only)"


class Report(models.Model):
    researcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vdp_reports"
    )
    # Set when an integration submitted the report with an API key on the researcher's behalf.
    submitted_via_key = models.ForeignKey(
        "accounts.APIKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    weakness = models.ForeignKey(
        Weakness, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=MAX_MARKDOWN_CHARS)
    steps_to_reproduce = models.TextField(blank=True, max_length=MAX_MARKDOWN_CHARS)
    impact = models.TextField(blank=True, max_length=MAX_MARKDOWN_CHARS)
    # Fingerprints for duplicate detection: the affected endpoint and parameter, if any.
    endpoint = models.CharField(max_length=500, blank=True)
    parameter = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    cvss_vector = models.CharField(max_length=200, blank=True)
    cvss_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    state = models.CharField(
        max_length=20, choices=ReportState.choices, default=ReportState.NEW, db_index=True
    )
    is_draft = models.BooleanField(default=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_vdp_reports",
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    # "Also reported by": the triager credits this duplicate's researcher on the original.
    credited_on_original = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    bounty_awarded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Response targets, fixed from the program's targets when the report is submitted.
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    triage_due_at = models.DateTimeField(null=True, blank=True)
    bounty_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    # Disclosure.
    disclosure_state = models.CharField(
        max_length=10, choices=DisclosureState.choices, default=DisclosureState.NONE
    )
    disclosure_kind = models.CharField(
        max_length=10, choices=DisclosureKind.choices, default=DisclosureKind.FULL
    )
    disclosure_requested_at = models.DateTimeField(null=True, blank=True)
    disclosure_requested_by = models.CharField(
        max_length=10, blank=True, help_text="Who asked: team or researcher."
    )
    disclosure_due_at = models.DateTimeField(null=True, blank=True)
    disclosed_at = models.DateTimeField(null=True, blank=True)
    public_summary = models.TextField(
        blank=True, max_length=MAX_MARKDOWN_CHARS, help_text="Markdown, shown when disclosed."
    )
    cve_id = models.CharField("CVE ID", max_length=30, blank=True, validators=[cve_id_validator])
    # The redacted public version of the Markdown fields; the originals above are kept as sent.
    public_description = models.TextField(blank=True, max_length=MAX_MARKDOWN_CHARS)
    public_steps_to_reproduce = models.TextField(blank=True, max_length=MAX_MARKDOWN_CHARS)
    public_impact = models.TextField(blank=True, max_length=MAX_MARKDOWN_CHARS)
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        permissions = [
            ("triage_report", "Can see and triage every vulnerability report"),
            ("award_bounty", "Can award bounties on vulnerability reports"),
        ]
        indexes = [models.Index(fields=["state", "submitted_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_disclosed(self) -> bool:
        return self.disclosure_state == DisclosureState.DISCLOSED

    def public_text(self, name: str) -> str:
        """A Markdown field as the public sees it: the redacted version once the team wrote
        one, the researcher's text otherwise."""
        if self.redacted_at is not None:
            return str(getattr(self, f"public_{name}"))
        return str(getattr(self, name))

    @property
    def public_description_text(self) -> str:
        return self.public_text("description")

    @property
    def public_steps_text(self) -> str:
        return self.public_text("steps_to_reproduce")

    @property
    def public_impact_text(self) -> str:
        return self.public_text("impact")

    def sla_breaches(self, now: object = None) -> list[str]:
        """Which response targets this report has missed (still missing, or met late)."""
        moment = now or timezone.now()
        breaches = []
        checks = [
            ("first response", self.first_response_due_at, self.first_response_at),
            ("triage", self.triage_due_at, self.triaged_at),
            ("resolution", self.resolution_due_at, self.resolved_at),
        ]
        for label, due, done in checks:
            if due is None:
                continue
            if done is None and self.is_open and moment > due:  # type: ignore[operator]
                breaches.append(label)
        return breaches


def _attachment_path(instance: Attachment, filename: str) -> str:
    # The caller gives a random name; nothing the uploader chose reaches the file system.
    return f"disclosure/attachments/{filename}"


class Attachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        "Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class Comment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    body = models.TextField(max_length=MAX_MARKDOWN_CHARS)
    internal = models.BooleanField(default=False, help_text="Seen by the security team only.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"comment on #{self.report_id} by {self.author_label}"


class ActivityKind(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    STATE_CHANGED = "state_changed", "State changed"
    COMMENT = "comment", "Comment"
    INTERNAL_NOTE = "internal_note", "Internal note"
    ASSIGNED = "assigned", "Assignment changed"
    SEVERITY_CHANGED = "severity_changed", "Severity changed"
    ATTACHMENT_ADDED = "attachment_added", "Attachment added"
    BOUNTY_AWARDED = "bounty_awarded", "Bounty awarded"
    DISCLOSURE_REQUESTED = "disclosure_requested", "Disclosure requested"
    DISCLOSURE_AGREED = "disclosure_agreed", "Disclosure agreed"
    DISCLOSURE_OBJECTED = "disclosure_objected", "Disclosure objected to"
    DISCLOSED = "disclosed", "Disclosed"
    CVE_ASSIGNED = "cve_assigned", "CVE assigned"
    CREDITED = "credited", "Also reported by"
    REDACTED = "redacted", "Public version edited"
    PAYOUT_RECORDED = "payout_recorded", "Payout recorded"


class ActivityEvent(models.Model):
    """One typed entry of a report's timeline. Internal entries are for the security team only."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="activity")
    kind = models.CharField(max_length=30, choices=ActivityKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    internal = models.BooleanField(default=False)
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.report_id}"


class BountyKind(models.TextChoices):
    BOUNTY = "bounty", "Bounty"
    RETEST = "retest", "Retest payment"


class Bounty(models.Model):
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="bounties")
    kind = models.CharField(max_length=10, choices=BountyKind.choices, default=BountyKind.BOUNTY)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    bonus = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="USD")
    table = models.ForeignKey(
        BountyTable, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "bounties"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0) & models.Q(bonus__gte=0),
                name="disclosure_bounty_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.total} {self.currency} for #{self.report_id}"

    @property
    def total(self) -> Decimal:
        return self.amount + self.bonus


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


class Payout(models.Model):
    """A record of paying a bounty outside Safeharbor (no payment processor is connected)."""

    bounty = models.ForeignKey(Bounty, on_delete=models.PROTECT, related_name="payouts")
    status = models.CharField(
        max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.PENDING
    )
    reference = models.CharField(max_length=200, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"payout of {self.bounty}"


class DuplicateKey(models.Model):
    """One entry of the duplicate index (duplicates.py): a fingerprint of a submitted report
    (endpoint template, asset and parameter, MinHash band of its words). Reports that share keys
    are the candidates scored as possible duplicates."""

    key = models.CharField(max_length=64)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["key", "report"], name="disclosure_dupkey_key")]
        constraints = [
            models.UniqueConstraint(fields=["report", "key"], name="disclosure_dupkey_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} -> #{self.report_id}"


class DuplicateSignature(models.Model):
    """What duplicates.py compares: a submitted report's words and the endpoint templates and
    parameters found in it, kept so scoring a candidate needs no parsing."""

    report = models.OneToOneField(
        Report, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    words = models.JSONField(default=list)
    endpoints = models.JSONField(default=list)
    parameters = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"signature of #{self.report_id}"
