"""The Safety Center's data: the directory of organisations and their contact methods, country
emergency numbers, the intervention term lists (versioned) and aggregate intervention counters.

Helpline numbers are safety-critical facts: every organisation carries the addresses it was
checked against and the date it was last verified, and stale entries are listed for upkeep.
Vocabularies (topics, populations, contact kinds) are fixed here so imports can be validated.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long a verification stays fresh before an entry is listed as stale.
STALE_AFTER = dt.timedelta(days=365)


class Topic(models.TextChoices):
    SUICIDE_AND_CRISIS = "suicide-crisis", _("Suicide and crisis")
    SELF_HARM = "self-harm", _("Self-harm")
    EATING_DISORDERS = "eating-disorders", _("Eating disorders")
    LGBTQ_YOUTH = "lgbtq-youth", _("LGBTQ+ youth")
    CHILD_ABUSE = "child-abuse", _("Child abuse")
    CSAM_REPORTING = "csam-reporting", _("Reporting child sexual abuse material")
    SEXTORTION = "sextortion", _("Sextortion")
    BULLYING = "bullying", _("Bullying")
    DOMESTIC_VIOLENCE = "domestic-violence", _("Domestic violence")
    MENTAL_HEALTH = "mental-health", _("Mental health")
    ONLINE_SAFETY = "online-safety", _("Online safety")


class Population(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    CHILDREN = "children", _("Children")
    YOUTH = "youth", _("Young people")
    LGBTQ = "lgbtq", _("LGBTQ+ people")
    PARENTS = "parents", _("Parents and carers")
    EDUCATORS = "educators", _("Educators")
    VETERANS = "veterans", _("Veterans")


class Organization(models.Model):
    class Kind(models.TextChoices):
        HELPLINE = "helpline", _("Helpline")
        REPORTING_HOTLINE = "reporting-hotline", _("Reporting hotline")
        SAFETY_PARTNER = "safety-partner", _("Safety partner")
        RESOURCE = "resource", _("Resource network or directory")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")
        REPLACED = "replaced", _("Replaced")

    class Cost(models.TextChoices):
        FREE = "free", _("Free")
        STANDARD_RATES = "standard-rates", _("Standard rates may apply")
        UNKNOWN = "unknown", _("Not stated")

    class Anonymity(models.TextChoices):
        ANONYMOUS = "anonymous", _("Anonymous")
        CONFIDENTIAL = "confidential", _("Confidential")
        UNKNOWN = "unknown", _("Not stated")

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Short descriptions by language ({"en": "...", "es": "..."}); English is the fallback.
    summary = models.JSONField(default=dict, blank=True)
    website = models.URLField(max_length=500, blank=True)
    # ISO 3166-1 alpha-2; empty for an international organisation. Subdivision: ISO 3166-2.
    country = models.CharField(max_length=2, blank=True, db_index=True)
    subdivision = models.CharField(max_length=6, blank=True)
    topics = models.JSONField(default=list, blank=True)  # Topic values
    populations = models.JSONField(default=list, blank=True)  # Population values
    languages = models.JSONField(default=list, blank=True)  # BCP-47 tags
    # Priority services are shown first for their country and topic.
    priority = models.BooleanField(default=False)
    # Organisations sharing a pairing group are shown together or not at all.
    pairing_group = models.SlugField(max_length=80, blank=True)
    cost = models.CharField(max_length=20, choices=Cost.choices, default=Cost.UNKNOWN)
    anonymity = models.CharField(
        max_length=20, choices=Anonymity.choices, default=Anonymity.UNKNOWN
    )
    # Where each fact was checked (the organisation's own pages first) and when.
    sources = models.JSONField(default=list)
    verified_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )
    notes = models.TextField(blank=True, help_text="Internal notes for the people who keep this.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "-priority", "name"]
        indexes = [models.Index(fields=["kind", "status", "country"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="replaced") | models.Q(replaced_by__isnull=False),
                name="replaced_entries_name_their_replacement",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def summary_in(self, language: str) -> str:
        base = language.split("-")[0].lower()
        return str(
            self.summary.get(language) or self.summary.get(base) or self.summary.get("en", "")
        )

    def is_stale(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return today - self.verified_on > STALE_AFTER

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class ContactMethod(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        SMS = "sms", _("Text message")
        CHAT = "chat", _("Chat")
        WEB_FORM = "web-form", _("Online form")
        EMAIL = "email", _("Email")
        WHATSAPP = "whatsapp", _("WhatsApp")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Phone and SMS: what to dial, E.164 (+18664887386) or a short code (988, 741741).
    # Chat, web form: an https URL. Email: an address.
    value = models.CharField(max_length=500)
    # How people know the number ("988", "1-866-488-7386", "116 123"); defaults to value.
    display = models.CharField(max_length=100, blank=True)
    sms_keyword = models.CharField(max_length=40, blank=True)
    # Labels by language ({"en": "Call", "es": "Llamar"}); optional.
    label = models.JSONField(default=dict, blank=True)
    # Opening hours: always open, or weekly intervals in an IANA time zone:
    # [{"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "17:00"}] with Monday = 0; a close
    # time at or before the open time runs past midnight into the next day.
    always_open = models.BooleanField(default=False)
    timezone = models.CharField(max_length=64, blank=True)
    hours = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)  # empty: the organisation's
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["organization", "order", "id"]

    def __str__(self) -> str:
        return f"{self.organization} {self.get_kind_display()} {self.display or self.value}"

    @property
    def shown_as(self) -> str:
        return self.display or self.value

    @property
    def href(self) -> str:
        """A link that starts the contact: tel:, sms:, mailto: or the URL itself."""
        if self.kind == self.Kind.PHONE:
            return f"tel:{self.value}"
        if self.kind == self.Kind.SMS:
            return f"sms:{self.value}" + (f"?body={self.sms_keyword}" if self.sms_keyword else "")
        if self.kind == self.Kind.EMAIL:
            return f"mailto:{self.value}"
        return self.value

    @property
    def hours_known(self) -> bool:
        return self.always_open or bool(self.hours and self.timezone)

    def is_open_at(self, moment: dt.datetime) -> bool | None:
        """Whether the method is open at an aware moment; None when its hours are not known."""
        if self.always_open:
            return True
        if not self.hours_known:
            return None
        local = moment.astimezone(zoneinfo.ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        today = local.weekday()
        yesterday = (today - 1) % 7
        for interval in self.hours:
            start = _minutes(interval["open"])
            end = _minutes(interval["close"])
            days = interval["days"]
            if end > start:
                if today in days and start <= minute < end:
                    return True
            else:  # runs past midnight
                if today in days and minute >= start:
                    return True
                if yesterday in days and minute < end:
                    return True
        return False

    def is_open_now(self) -> bool | None:
        return self.is_open_at(timezone.now())

    def clean(self) -> None:
        if self.timezone:
            try:
                zoneinfo.ZoneInfo(self.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValidationError({"timezone": _("Not an IANA time zone.")}) from None
        if self.hours and not self.timezone:
            raise ValidationError({"timezone": _("Opening hours need a time zone.")})


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class EmergencyNumber(models.Model):
    """A country's emergency numbers, kept apart from helplines."""

    country = models.CharField(max_length=2, unique=True)
    police = models.CharField(max_length=20, blank=True)
    ambulance = models.CharField(max_length=20, blank=True)
    fire = models.CharField(max_length=20, blank=True)
    # One number for every service where the country has one (112, 911).
    general = models.CharField(max_length=20, blank=True)
    sources = models.JSONField(default=list)
    verified_on = models.DateField()

    class Meta:
        ordering = ["country"]

    def __str__(self) -> str:
        return f"{self.country} emergency numbers"


class TermListVersion(models.Model):
    """One saved version of a locale's intervention term list; the newest version is in force.

    ``terms`` is a list of {"phrase", "tier" ("crisis" or "topic"), "topic"}; ``allow`` is a list
    of phrases that suppress a match they contain ("suicide squad"). Versions are never edited:
    a change saves a new version, so every earlier list can be read and restored.
    """

    class Tier(models.TextChoices):
        CRISIS = "crisis", _("Crisis intent (interstitial)")
        TOPIC = "topic", _("Topic (banner)")

    locale = models.CharField(max_length=20)
    number = models.PositiveIntegerField()
    terms = models.JSONField(default=list)
    allow = models.JSONField(default=list)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["locale", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["locale", "number"], name="one_number_per_locale")
        ]

    def __str__(self) -> str:
        return f"{self.locale} v{self.number}"


class InterventionCount(models.Model):
    """How many checks ended at each level per topic and day. The text itself is never kept."""

    day = models.DateField()
    locale = models.CharField(max_length=20)
    topic = models.CharField(max_length=30, blank=True)  # empty for level "none"
    level = models.CharField(max_length=12)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "locale", "topic", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "locale", "topic", "level"], name="one_counter_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.locale} {self.topic or '-'} {self.level}: {self.count}"
