"""Argon2 that hashes the NFC form of the password (NIST SP 800-63B-4: normalize Unicode before
hashing), so "café" typed with a composed é or with e + combining accent is the same password.
The algorithm name stays "argon2": existing hashes keep working, and ASCII passwords are
unchanged by NFC."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher

from safeharbor.passwords.policy import normalize


class NormalizingArgon2PasswordHasher(Argon2PasswordHasher):
    def encode(self, password: str, salt: str) -> str:
        return super().encode(normalize(password), salt)

    def verify(self, password: str, encoded: str) -> bool:
        return super().verify(normalize(password), encoded)

    def harden_runtime(self, password: str, encoded: str) -> None:
        super().harden_runtime(normalize(password), encoded)

    def must_update(self, encoded: str) -> bool:
        return super().must_update(encoded)

    def decode(self, encoded: str) -> dict[str, Any]:
        return super().decode(encoded)
