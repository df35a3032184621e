"""The digests a breached-password lookup starts from: SHA-1 and NTLM (MD4 of UTF-16LE)."""

from __future__ import annotations

import hashlib
import random

import pytest

from safeharbor.passwords.breach.index import ntlm_digest, sha1_digest
from safeharbor.passwords.breach.reference import md4


def _hashlib_has_md4() -> bool:
    try:
        hashlib.new("md4", b"")
    except ValueError:
        return False
    return True


def test_sha1_of_password_is_the_known_vector() -> None:
    assert sha1_digest("password").hex().upper() == "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"


def test_ntlm_of_password_is_the_known_vector() -> None:
    assert ntlm_digest("password").hex().upper() == "8846F7EAEE8FB117AD06BDD830B7586C"


def test_ntlm_of_the_empty_password_is_the_known_vector() -> None:
    assert ntlm_digest("").hex().upper() == "31D6CFE0D16AE931B73C59D7E0C089C0"


def test_ntlm_hashes_the_utf16le_encoding_of_non_ascii_passwords() -> None:
    assert ntlm_digest("pässwörd€") == md4("pässwörd€".encode("utf-16-le"))
    assert ntlm_digest("pässwörd€") != md4("pässwörd€".encode())


def test_sha1_hashes_the_utf8_encoding() -> None:
    assert sha1_digest("pässwörd") == hashlib.sha1("pässwörd".encode()).digest()


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
        (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
        (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
        (b"message digest", "d9130a8164549fe818874806e1c7014b"),
        (b"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
        (
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "043f8582f241db351ce627e153e7f0e4",
        ),
        (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536"),
    ],
)
def test_reference_md4_matches_the_rfc_1320_test_suite(message: bytes, digest: str) -> None:
    assert md4(message).hex() == digest


@pytest.mark.skipif(not _hashlib_has_md4(), reason="this OpenSSL has no MD4")
def test_reference_md4_matches_hashlib_around_the_padding_boundaries() -> None:
    rng = random.Random(4)
    for length in [*range(50, 70), 119, 120, 128, 1000]:
        data = rng.randbytes(length)
        assert md4(data) == hashlib.new("md4", data).digest()
