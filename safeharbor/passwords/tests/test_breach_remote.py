"""The remote range checker against a fake Pwned Passwords server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from safeharbor.passwords.breach import remote
from safeharbor.passwords.breach.remote import (
    BreachCheckUnavailable,
    MalformedRange,
    RemoteRangeChecker,
    configured_remote_checker,
    parse_range,
)

BREACHED = {"password123": 2_401_222, "correct horse battery staple": 391, "hunter2": 28_000}
ABSENT = "tangerine submarine orchestra"


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode()).hexdigest().upper()


class FakeRangeServer(ThreadingHTTPServer):
    """Serves ``/range/{prefix}`` from ``BREACHED`` like api.pwnedpasswords.com, padded on request
    with zero-count rows, one of which is the absent password's own suffix."""

    daemon_threads = False  # server_close() joins the handler threads

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RangeHandler)
        self.requests: list[str] = []  # request line and headers, exactly as received
        self.paths: list[str] = []
        self.added_padding: list[bool] = []
        self.answer: bytes | None = None  # replaces the corpus answer when set
        self.status = 200
        self.delay = 0.0
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02})

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def range_for(self, prefix: str, padded: bool) -> bytes:
        rows = [
            f"{digest[5:]}:{count}"
            for digest, count in ((sha1(p), c) for p, c in BREACHED.items())
            if digest.startswith(prefix)
        ]
        rows.append(f"{'0' * 34}1:7")  # an unrelated breached suffix, as real ranges have hundreds
        if padded:
            rows += [f"{'F' * 34}{n:X}:0" for n in range(3)]
            rows.append(f"{sha1(ABSENT)[5:]}:0")
        return "\r\n".join(rows).encode()


class RangeHandler(BaseHTTPRequestHandler):
    server: FakeRangeServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.server.requests.append(self.requestline + "\n" + str(self.headers))
        self.server.paths.append(self.path)
        padded = self.headers.get("Add-Padding") == "true"
        self.server.added_padding.append(padded)
        if self.server.delay and self.server.stopping.wait(self.server.delay):
            return
        match = re.fullmatch(r"/range/([0-9A-F]{5})", self.path)
        if match is None:
            self.send_error(404)
            return
        body = self.server.answer
        if body is None:
            body = self.server.range_for(match[1], padded)
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[FakeRangeServer]:
    fake = FakeRangeServer()
    fake._thread.start()
    yield fake
    fake.stopping.set()
    fake.shutdown()
    fake.server_close()
    fake._thread.join()


@pytest.fixture
def checker(server: FakeRangeServer) -> RemoteRangeChecker:
    return RemoteRangeChecker(server.base_url, allow_private=True)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# --- counts ---------------------------------------------------------------------------------------


def test_a_breached_password_gets_its_count(checker: RemoteRangeChecker) -> None:
    assert checker.count("password123") == 2_401_222
    assert checker.count("hunter2") == 28_000


def test_a_password_not_in_the_corpus_counts_zero_even_when_padding_lists_its_suffix(
    checker: RemoteRangeChecker, server: FakeRangeServer
) -> None:
    assert checker.count(ABSENT) == 0
    assert f"{sha1(ABSENT)[5:]}:0".encode() in server.range_for(sha1(ABSENT)[:5], padded=True)


def test_a_padding_row_never_masks_a_real_count(
    checker: RemoteRangeChecker, server: FakeRangeServer
) -> None:
    suffix = sha1("hunter2")[5:]
    server.answer = f"{suffix}:28000\r\n{suffix}:0\r\n{'A' * 35}:0".encode()
    assert checker.count("hunter2") == 28_000


def test_only_the_five_character_prefix_leaves_the_machine(
    checker: RemoteRangeChecker, server: FakeRangeServer
) -> None:
    password = "correct horse battery staple"
    digest = sha1(password)
    assert checker.count(password) == 391
    assert server.paths == [f"/range/{digest[:5]}"]
    sent = server.requests[0]
    for secret in (password, digest, digest[5:], digest[:6], digest.lower()[:6]):
        assert secret not in sent
    assert re.fullmatch(r"/range/[0-9A-F]{5}", server.paths[0])


def test_padding_is_always_asked_for(checker: RemoteRangeChecker, server: FakeRangeServer) -> None:
    checker.count("password123")
    checker.count(ABSENT)
    assert server.added_padding == [True, True]
    assert "Add-Padding: true" in server.requests[0]


# --- cache ----------------------------------------------------------------------------------------


def test_the_cache_avoids_a_second_request_for_the_same_prefix(
    checker: RemoteRangeChecker, server: FakeRangeServer
) -> None:
    assert checker.count("password123") == 2_401_222
    assert checker.count("password123") == 2_401_222
    assert len(server.paths) == 1


def test_a_cached_range_expires_after_its_time(
    server: FakeRangeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(remote, "_clock", lambda: now[0])
    checker = RemoteRangeChecker(server.base_url, cache_seconds=60, allow_private=True)
    checker.count("hunter2")
    now[0] += 59
    checker.count("hunter2")
    assert len(server.paths) == 1
    now[0] += 1
    checker.count("hunter2")
    assert len(server.paths) == 2


def test_the_cache_keeps_only_the_most_recently_used_ranges(server: FakeRangeServer) -> None:
    checker = RemoteRangeChecker(server.base_url, cache_entries=2, allow_private=True)
    for password in ("hunter2", "password123", "hunter2", ABSENT, "hunter2", "password123"):
        checker.count(password)
    # hunter2 stayed in use; password123 was the least recently used when ABSENT arrived.
    assert [path[-5:] for path in server.paths] == [
        sha1("hunter2")[:5],
        sha1("password123")[:5],
        sha1(ABSENT)[:5],
        sha1("password123")[:5],
    ]


def test_a_cache_of_zero_seconds_asks_every_time(server: FakeRangeServer) -> None:
    checker = RemoteRangeChecker(server.base_url, cache_seconds=0, allow_private=True)
    checker.count("hunter2")
    checker.count("hunter2")
    assert len(server.paths) == 2


# --- when the service fails -----------------------------------------------------------------------


def test_fail_open_returns_none_when_the_service_is_down(caplog: pytest.LogCaptureFixture) -> None:
    checker = RemoteRangeChecker(closed_port_url(), timeout=1, allow_private=True)
    with caplog.at_level(logging.WARNING, logger="safeharbor.passwords.breach.remote"):
        assert checker.count("password123") is None
    assert "check skipped" in caplog.text
    assert sha1("password123")[:5] not in caplog.text


def test_fail_open_returns_none_within_the_timeout_when_the_service_is_slow(
    server: FakeRangeServer,
) -> None:
    server.delay = 10
    checker = RemoteRangeChecker(server.base_url, timeout=0.3, allow_private=True)
    started = time.monotonic()
    assert checker.count("password123") is None
    assert time.monotonic() - started < 1.0


def test_fail_closed_raises_when_the_service_is_down() -> None:
    checker = RemoteRangeChecker(closed_port_url(), timeout=1, fail_closed=True, allow_private=True)
    with pytest.raises(BreachCheckUnavailable, match="try again"):
        checker.count("password123")


@pytest.mark.parametrize("status", [404, 500, 503])
def test_an_error_status_makes_the_service_unavailable(
    server: FakeRangeServer, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safeharbor.core.http_client._sleep", lambda seconds: None)
    server.status = status
    assert RemoteRangeChecker(server.base_url, allow_private=True).count("hunter2") is None
    closed = RemoteRangeChecker(server.base_url, fail_closed=True, allow_private=True)
    with pytest.raises(BreachCheckUnavailable):
        closed.count("hunter2")


def test_the_address_guard_applies(server: FakeRangeServer) -> None:
    checker = RemoteRangeChecker(server.base_url, allow_private=False)
    assert checker.count("hunter2") is None
    assert server.paths == []


ROW = b"0018A45C4D1DEF81644B54AB7F969B88D65"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"<html><body>Service unavailable</body></html>", id="html"),
        pytest.param(ROW + b":1\r\nnot a row\r\n", id="one-bad-line"),
        pytest.param(ROW + b"\r\n", id="no-count"),
        pytest.param(ROW[:-1] + b":1\r\n", id="short-suffix"),
        pytest.param(ROW + b":-1\r\n", id="negative-count"),
        pytest.param(ROW + b":" + b"9" * 5000 + b"\r\n", id="enormous-count"),
        pytest.param(ROW + b":1\xff\r\n", id="not-ascii"),
        pytest.param(b"\x00" * 100, id="binary"),
    ],
)
def test_a_malformed_answer_is_refused_not_read_as_absent_and_not_cached(
    server: FakeRangeServer, answer: bytes
) -> None:
    server.answer = answer
    checker = RemoteRangeChecker(server.base_url, allow_private=True)
    assert checker.count("hunter2") is None
    with pytest.raises(BreachCheckUnavailable):
        RemoteRangeChecker(server.base_url, fail_closed=True, allow_private=True).count("hunter2")
    server.answer = None
    assert checker.count("hunter2") == 28_000


# --- parsing --------------------------------------------------------------------------------------


def test_parsing_accepts_lower_case_bare_newlines_blank_lines_and_leading_zeros() -> None:
    parsed = parse_range(b"\n00000000000000000000000000000000abc:0042\n\n" + b"B" * 35 + b":0\n")
    assert parsed.count("00000000000000000000000000000000ABC") == 42
    assert parsed.count("b" * 35) == 0
    assert parsed.rows == b"\n00000000000000000000000000000000ABC:42"


def test_an_empty_range_counts_zero() -> None:
    assert parse_range(b"").count("A" * 35) == 0


def test_parsing_names_the_malformed_line() -> None:
    with pytest.raises(MalformedRange, match="line 2 is not SUFFIX:COUNT"):
        parse_range(b"A" * 35 + b":1\r\nB:2\r\n")


# --- configuration --------------------------------------------------------------------------------


def test_a_base_url_that_is_not_http_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        RemoteRangeChecker("ftp://api.pwnedpasswords.com")


def test_the_trailing_slash_of_the_base_url_is_ignored(server: FakeRangeServer) -> None:
    RemoteRangeChecker(server.base_url + "/", allow_private=True).count("hunter2")
    assert server.paths == [f"/range/{sha1('hunter2')[:5]}"]


@pytest.mark.parametrize("value", ["off", "OFF", "", None])
def test_the_remote_check_can_be_turned_off(settings, value: str | None) -> None:
    settings.SAFEHARBOR_PWNED_REMOTE_URL = value
    assert configured_remote_checker() is None


def test_one_configured_checker_per_process_so_its_cache_is_shared(settings) -> None:
    settings.SAFEHARBOR_PWNED_REMOTE_URL = "https://range.example"
    settings.SAFEHARBOR_PWNED_REMOTE_TIMEOUT = 2
    settings.SAFEHARBOR_PWNED_FAIL_CLOSED = True
    first = configured_remote_checker()
    assert first is not None
    assert first is configured_remote_checker()
    assert (first.base_url, first.timeout, first.fail_closed) == ("https://range.example", 2, True)
    settings.SAFEHARBOR_PWNED_FAIL_CLOSED = False
    assert configured_remote_checker() is not first


# --- wired into the policy check ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_policy_check_refuses_a_password_the_remote_service_knows(
    settings, server: FakeRangeServer
) -> None:
    from safeharbor.passwords.services import check_password

    settings.SAFEHARBOR_PWNED_REMOTE_URL = server.base_url
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = True
    password, count = next(iter(BREACHED.items()))
    result = check_password(password, with_mfa=True)
    assert result.breached_count == count
    assert "breached" in [v["code"] for v in result.violations]
    assert check_password(ABSENT + " and more words", with_mfa=True).breached_count == 0


@pytest.mark.django_db
def test_fail_closed_refuses_with_a_clear_reason_when_the_service_is_down(settings) -> None:
    from safeharbor.passwords.services import check_password

    settings.SAFEHARBOR_PWNED_REMOTE_URL = closed_port_url()
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = True
    settings.SAFEHARBOR_PWNED_FAIL_CLOSED = True
    settings.SAFEHARBOR_PWNED_REMOTE_TIMEOUT = 1
    result = check_password("tangerine submarine orchestra")
    assert not result.accepted
    assert [v["code"] for v in result.violations] == ["breach_check_unavailable"]
    settings.SAFEHARBOR_PWNED_FAIL_CLOSED = False
    open_result = check_password("tangerine submarine orchestra")
    assert open_result.accepted
    assert open_result.breached_count is None
