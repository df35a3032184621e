"""The installation's password policy: one row, edited by administrators."""

from __future__ import annotations

from django.db import models

from safeharbor.passwords.policy import ASVS_L1, ASVS_L2, ASVS_L3, CUSTOM, MAX_LENGTH, NIST


class PasswordPolicy(models.Model):
    class Preset(models.TextChoices):
        NIST_800_63B_4 = NIST, "NIST SP 800-63B-4"
        ASVS_5_L1 = ASVS_L1, "OWASP ASVS 5.0 level 1"
        ASVS_5_L2 = ASVS_L2, "OWASP ASVS 5.0 level 2"
        ASVS_5_L3 = ASVS_L3, "OWASP ASVS 5.0 level 3"
        CUSTOM_RULES = CUSTOM, "Custom"

    preset = models.CharField(max_length=20, choices=Preset.choices, default=Preset.NIST_800_63B_4)
    # Used only by the custom preset.
    min_length = models.PositiveSmallIntegerField(default=15)
    min_length_with_mfa = models.PositiveSmallIntegerField(default=8)
    max_length = models.PositiveSmallIntegerField(default=MAX_LENGTH)
    check_common = models.BooleanField(default=True)
    check_context = models.BooleanField(default=True)
    check_breached = models.BooleanField(default=True)
    min_score = models.PositiveSmallIntegerField(default=0)
    # ASVS V6.1.2: the documented list of context-specific words (one per line), for every preset.
    context_words = models.TextField(
        blank=True,
        help_text="Words that must not appear in passwords: the organisation, product and "
        "project names, one per line. The site name, username and email are always included.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "password policy"
        verbose_name_plural = "password policy"
        constraints = [
            models.CheckConstraint(condition=models.Q(min_score__lte=4), name="min_score_0_to_4"),
            models.CheckConstraint(
                condition=models.Q(max_length__gte=64), name="max_length_at_least_64"
            ),
        ]

    def __str__(self) -> str:
        return self.get_preset_display()

    def context_word_list(self) -> list[str]:
        return [line.strip() for line in self.context_words.splitlines() if line.strip()]
