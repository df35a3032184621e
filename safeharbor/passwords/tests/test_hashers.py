from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test import override_settings

ARGON2 = ["safeharbor.passwords.hashers.NormalizingArgon2PasswordHasher"]
COMPOSED = "caf\u00e9 au lait du matin"
DECOMPOSED = "cafe\u0301 au lait du matin"


@override_settings(PASSWORD_HASHERS=ARGON2)
def test_composed_and_decomposed_forms_are_the_same_password() -> None:
    encoded = make_password(DECOMPOSED)
    assert encoded.startswith("argon2$argon2id$")
    assert check_password(COMPOSED, encoded)
    assert check_password(DECOMPOSED, encoded)
    assert not check_password("cafe au lait du matin", encoded)


@override_settings(PASSWORD_HASHERS=ARGON2)
def test_hashes_made_by_djangos_own_argon2_hasher_still_verify() -> None:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    encoded = Argon2PasswordHasher().encode("plain ascii passphrase", "saltsaltsalt1234")
    assert check_password("plain ascii passphrase", encoded)


@pytest.mark.parametrize("password", ["x" * 1024, "\u00e9" * 500])
@override_settings(PASSWORD_HASHERS=ARGON2)
def test_nothing_is_truncated(password: str) -> None:
    encoded = make_password(password)
    assert not check_password(password[:-1], encoded)
