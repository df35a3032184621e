"""The HIBP-compatible range API over a local exact index, checked with HIBP's own clients."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from safeharbor.passwords.breach import checker
from safeharbor.passwords.breach.build import build_index

KNOWN = {"password123": 2_401_222, "hunter2": 28_000, "correct horse battery staple": 391}


def sha1_hex(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest().upper()


def ntlm_hex(text: str) -> str:
    from safeharbor.passwords.breach.index import ntlm_digest

    return ntlm_digest(text).hex().upper()


def write_corpus(path: Path, hashes: dict[str, int]) -> None:
    lines = [f"{digest}:{count}" for digest, count in sorted(hashes.items())]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())


@pytest.fixture
def corpus() -> dict[str, int]:
    rng = random.Random(7)
    hashes = {f"{rng.getrandbits(160):040X}": rng.choice([1, 2, 3, 10, 1000]) for _ in range(3000)}
    # Make sure one range holds many rows, like real ones (hundreds per prefix).
    for n in range(40):
        hashes[f"21BD1{rng.getrandbits(140):035X}"] = n + 1
    hashes.update({sha1_hex(password): count for password, count in KNOWN.items()})
    return hashes


@pytest.fixture
def sha1_index(tmp_path: Path, corpus: dict[str, int], settings) -> Iterator[Path]:
    source = tmp_path / "pwned-sha1.txt"
    write_corpus(source, corpus)
    output = tmp_path / "pwned-sha1.idx"
    build_index(source, output, mode="sha1", format="exact")
    settings.SAFEHARBOR_PWNED_INDEX = str(output)
    yield output
    with checker._lock:
        opened = checker._opened.pop(str(output), None)
    if opened is not None:
        opened.close()


def expected_body(corpus: dict[str, int], prefix: str) -> bytes:
    rows = sorted(
        (digest[5:], count) for digest, count in corpus.items() if digest.startswith(prefix)
    )
    return "\r\n".join(f"{suffix}:{count}" for suffix, count in rows).encode()


def test_a_range_lists_exactly_the_corpus_rows_of_its_prefix(sha1_index: Path, corpus) -> None:
    for prefix in ["21BD1", sha1_hex("hunter2")[:5], "00000", "FFFFF"]:
        response = Client().get(f"/range/{prefix}")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain"
        assert response.content == expected_body(corpus, prefix), prefix


def test_lower_case_prefixes_work(sha1_index: Path, corpus) -> None:
    assert Client().get("/range/21bd1").content == expected_body(corpus, "21BD1")


def test_ranges_are_cacheable_with_an_etag(sha1_index: Path) -> None:
    response = Client().get("/range/21BD1")
    assert response["Cache-Control"] == "public, max-age=86400"
    again = Client().get("/range/21BD1", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_padding_adds_zero_count_rows_only(sha1_index: Path, corpus) -> None:
    response = Client().get("/range/21BD1", headers={"Add-Padding": "true"})
    lines = response.content.decode().split("\r\n")
    assert 800 <= len(lines) <= 1000
    real = [line for line in lines if not line.endswith(":0")]
    assert "\r\n".join(real).encode() == expected_body(corpus, "21BD1")
    assert all(len(line.split(":")[0]) == 35 for line in lines)
    assert response["Cache-Control"] == "no-store"
    assert lines == sorted(lines)


@pytest.mark.parametrize("prefix", ["ABCD", "GGGGG", "ABCDE1", "21BD%20", "-1234"])
def test_a_prefix_that_is_not_five_hex_digits_is_a_400(sha1_index: Path, prefix: str) -> None:
    response = Client().get(f"/range/{prefix}")
    assert response.status_code == 400
    assert b"5 hexadecimal characters" in response.content


def test_an_unknown_mode_is_a_400(sha1_index: Path) -> None:
    assert Client().get("/range/21BD1?mode=md5").status_code == 400


def test_without_an_index_the_range_api_says_so(settings) -> None:
    settings.SAFEHARBOR_PWNED_INDEX = None
    response = Client().get("/range/21BD1")
    assert response.status_code == 404
    assert b"No SHA1 breached-password index" in response.content


def test_only_get_and_head_are_allowed(sha1_index: Path) -> None:
    assert Client().post("/range/21BD1").status_code == 405
    assert Client().head("/range/21BD1").status_code == 200


def test_ntlm_mode_serves_the_ntlm_index(tmp_path: Path, settings) -> None:
    hashes = {ntlm_hex(password): count for password, count in KNOWN.items()}
    source = tmp_path / "pwned-ntlm.txt"
    write_corpus(source, hashes)
    output = tmp_path / "pwned-ntlm.idx"
    build_index(source, output, mode="ntlm", format="exact")
    settings.SAFEHARBOR_PWNED_NTLM_INDEX = str(output)
    digest = ntlm_hex("hunter2")
    body = Client().get(f"/range/{digest[:5]}?mode=ntlm").content.decode()
    assert f"{digest[5:]}:28000" in body.split("\r\n")


def test_the_policy_check_uses_the_local_index(sha1_index: Path, db: None) -> None:
    from safeharbor.passwords.services import check_password

    result = check_password("correct horse battery staple", with_mfa=True)
    assert result.breached_count == 391
    assert [v["code"] for v in result.violations] == ["breached"]
    assert "appeared 391 times" in result.violations[0]["message"]


def test_a_compact_index_count_is_said_to_be_a_lower_bound(
    tmp_path: Path, corpus: dict[str, int], settings, db: None
) -> None:
    from safeharbor.passwords.services import check_password

    source = tmp_path / "pwned-sha1.txt"
    write_corpus(source, corpus)
    output = tmp_path / "compact.idx"
    build_index(source, output, mode="sha1", format="compact")
    settings.SAFEHARBOR_PWNED_INDEX = str(output)
    try:
        result = check_password("correct horse battery staple", with_mfa=True)
    finally:
        with checker._lock:
            checker._opened.pop(str(output)).close()
    # 391 is kept as its power-of-two class: at least 256.
    assert result.breached_count == 256
    assert "appeared at least 256 times" in result.violations[0]["message"]


# --- third-party clients pointed at this server ------------------------------------------------


def test_pyhibp_gets_the_counts_the_index_holds(live_server, sha1_index: Path) -> None:
    import pyhibp
    from pyhibp import pwnedpasswords

    pyhibp.set_user_agent(ua="Safeharbor compatibility test")
    original = pwnedpasswords.PWNED_PASSWORDS_API_BASE_URI
    pwnedpasswords.PWNED_PASSWORDS_API_BASE_URI = live_server.url + "/"
    try:
        for password, count in KNOWN.items():
            assert pwnedpasswords.is_password_breached(password=password) == count
            assert pwnedpasswords.is_password_breached(password=password, add_padding=True) == count
        assert pwnedpasswords.is_password_breached(password="tangerine submarine orchestra") == 0
    finally:
        pwnedpasswords.PWNED_PASSWORDS_API_BASE_URI = original


def test_pwned_passwords_django_gets_the_counts_the_index_holds(
    live_server, sha1_index: Path
) -> None:
    from pwned_passwords_django.api import PwnedPasswords

    client = PwnedPasswords()
    client.api_endpoint = live_server.url + "/range/"
    try:
        for password, count in KNOWN.items():
            assert client.check_password(password) == count
        assert client.check_password("tangerine submarine orchestra") == 0
    finally:
        client.client.close()
