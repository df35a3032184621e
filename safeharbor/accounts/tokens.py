"""One-time tokens for email verification (password reset uses Django's own generator)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "safeharbor.accounts.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        # The token dies once the address is verified or changed.
        verified = getattr(user, "email_verified_at", None)
        return f"{user.pk}{timestamp}{getattr(user, 'email', '')}{verified}"


email_verification_token = EmailVerificationTokenGenerator()
