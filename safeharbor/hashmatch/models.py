"""Hash banks of known content and the matches found against them.

A bank holds hashes of one signal type (PDQ for images, MD5 or SHA-256 for any file) from one
source (NCMEC, IWF, StopNCII, the platform's own reviewed cases), filed under a policy category.
Matching only ever reports entries that are enabled in enabled banks; the in-memory PDQ index may
hold hashes of disabled entries, which are filtered out when a match is resolved.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from safeharbor.moderation.models import PolicyCategory, SeverityTier

PDQ_MATCH_THRESHOLD = 31  # Meta's confident-match distance for PDQ (of 256 bits)
PDQ_MIN_QUALITY = 50  # below this a PDQ hash is not usable (flat or tiny images)


class SignalType(models.TextChoices):
    PDQ = "pdq", "PDQ (images)"
    MD5 = "md5", "MD5 (exact file)"
    SHA256 = "sha256", "SHA-256 (exact file)"


HEX_LENGTH = {SignalType.PDQ: 64, SignalType.MD5: 32, SignalType.SHA256: 64}


class HashBank(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    signal_type = models.CharField(max_length=16, choices=SignalType.choices)
    source = models.CharField(
        max_length=200, blank=True, help_text="Where the hashes come from, e.g. NCMEC hash sharing."
    )
    category = models.ForeignKey(PolicyCategory, on_delete=models.PROTECT, related_name="+")
    severity_tier = models.PositiveSmallIntegerField(choices=SeverityTier.choices)
    enabled = models.BooleanField(default=True)
    match_threshold = models.PositiveSmallIntegerField(
        default=PDQ_MATCH_THRESHOLD, help_text="PDQ only: the largest distance that matches."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        permissions = [("manage_banks", "Create, change, import into and export hash banks")]

    def __str__(self) -> str:
        return self.name


class BankEntry(models.Model):
    bank = models.ForeignKey(HashBank, on_delete=models.CASCADE, related_name="entries")
    signal_type = models.CharField(max_length=16, choices=SignalType.choices)
    value = models.CharField(max_length=64, help_text="Lower-case hexadecimal.")
    enabled = models.BooleanField(default=True)
    origin = models.CharField(
        max_length=200, blank=True, help_text="How it arrived: an import file or a case."
    )
    note = models.CharField(max_length=500, blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "value"], name="hashmatch_entry_unique_value")
        ]
        indexes = [
            models.Index(fields=["signal_type", "value"], name="hashmatch_entry_lookup"),
            # Workers re-read recently added entries (see matching.PdqMatcher.refresh).
            models.Index(fields=["signal_type", "added_at"], name="hashmatch_entry_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.signal_type}:{self.value}"


class HashMatch(models.Model):
    """One match of submitted media against one bank entry (kept as the case's evidence trail)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    matched_at = models.DateTimeField(default=timezone.now)
    content_id = models.CharField(max_length=200)
    signal_type = models.CharField(max_length=16, choices=SignalType.choices)
    query_hash = models.CharField(max_length=64)
    distance = models.PositiveSmallIntegerField(default=0)
    bank = models.ForeignKey(HashBank, on_delete=models.PROTECT, related_name="matches")
    entry = models.ForeignKey(
        BankEntry, null=True, on_delete=models.SET_NULL, related_name="matches"
    )
    case = models.ForeignKey(
        "moderation.Case", null=True, on_delete=models.SET_NULL, related_name="hash_matches"
    )
    report = models.ForeignKey(
        "moderation.Report", null=True, on_delete=models.SET_NULL, related_name="hash_matches"
    )

    class Meta:
        ordering = ["-matched_at", "-id"]
        indexes = [models.Index(fields=["content_id"], name="hashmatch_match_content")]

    def __str__(self) -> str:
        return f"{self.content_id} ~ {self.bank} (distance {self.distance})"


class KeptMedia(models.Model):
    """Media that matched, kept for its case only, encrypted at rest (AES-GCM)."""

    case = models.ForeignKey("moderation.Case", on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    ciphertext = models.BinaryField()
    kept_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "sha256"], name="hashmatch_kept_once_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.content_type}, {self.size} bytes, sha256 {self.sha256[:12]}"
