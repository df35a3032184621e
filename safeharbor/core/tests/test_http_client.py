"""The outbound HTTP client against local servers only: nothing here reaches the internet."""

from __future__ import annotations

import ipaddress
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from safeharbor.core import http_client
from safeharbor.core.http_client import (
    OutboundBadStatus,
    OutboundBlocked,
    OutboundConnectionError,
    OutboundTimeout,
    OutboundTLSError,
    OutboundTooLarge,
    fetch,
    refusal_reason,
)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (cut short when the test ends)
    custom: Callable[[Handler], None] | None = None  # writes its own bytes instead


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class LocalServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread: nothing outlives a test

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02})

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "/", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join()

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout, size cap) breaks the pipe: expected here."""


class Handler(BaseHTTPRequestHandler):
    server: LocalServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(
            Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        reply = self.server.replies.pop(0) if self.server.replies else Reply()
        if reply.delay and self.server.stopping.wait(reply.delay):
            return
        if reply.custom is not None:
            reply.custom(self)
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if "Content-Length" not in reply.headers:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_HEAD = _answer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer().start()
    yield local
    local.stop()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits are recorded instead of slept through."""
    recorded: list[float] = []
    monkeypatch.setattr(http_client, "_sleep", recorded.append)
    return recorded


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- answers and retries --------------------------------------------------------------------------


def test_it_returns_status_headers_and_body(server: LocalServer) -> None:
    server.replies = [Reply(201, b"created", {"X-Thing": "1"})]
    response = fetch("GET", server.url("/hello"), allow_private=True)
    assert response.status == 201
    assert response.body == b"created"
    assert response.header("x-thing") == "1"
    assert response.headers["x-thing"] == "1"
    assert server.seen[0].path == "/hello"


def test_it_sends_the_body_the_headers_and_a_safeharbor_user_agent(server: LocalServer) -> None:
    fetch(
        "POST",
        server.url("/hook?x=1"),
        headers={"Content-Type": "application/json", "Webhook-Id": "msg_1"},
        body=b'{"a": 1}',
        allow_private=True,
    )
    seen = server.seen[0]
    assert (seen.method, seen.path, seen.body) == ("POST", "/hook?x=1", b'{"a": 1}')
    assert seen.headers["webhook-id"] == "msg_1"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["user-agent"] == http_client.user_agent()
    assert http_client.user_agent().startswith("Safeharbor/")
    assert seen.headers["accept-encoding"] == "identity"


def test_it_retries_a_503_then_returns_the_success(server: LocalServer, waits: list[float]) -> None:
    server.replies = [Reply(503), Reply(503), Reply(200, b"finally")]
    response = fetch("GET", server.url(), retries=2, allow_private=True)
    assert response.body == b"finally"
    assert len(server.seen) == 3
    assert len(waits) == 2
    assert 0.1 <= waits[0] <= 0.2  # backoff doubles, jittered between half and all of it
    assert 0.2 <= waits[1] <= 0.4


@pytest.mark.parametrize("status", [502, 504])
def test_it_retries_other_gateway_errors(
    server: LocalServer, waits: list[float], status: int
) -> None:
    server.replies = [Reply(status)]
    assert fetch("GET", server.url(), retries=1, allow_private=True).status == 200
    assert len(server.seen) == 2


def test_it_gives_up_after_the_retries_with_the_last_answer(
    server: LocalServer, waits: list[float]
) -> None:
    server.replies = [Reply(503, b"down")] * 3
    with pytest.raises(OutboundBadStatus, match="answered 503") as caught:
        fetch("GET", server.url(), retries=2, allow_private=True)
    assert caught.value.status == 503
    assert caught.value.response.body == b"down"
    assert len(server.seen) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 410, 500])
def test_it_never_retries_other_errors(
    server: LocalServer, waits: list[float], status: int
) -> None:
    server.replies = [Reply(status)]
    with pytest.raises(OutboundBadStatus) as caught:
        fetch("GET", server.url(), retries=2, allow_private=True)
    assert caught.value.status == status
    assert len(server.seen) == 1
    assert waits == []


def test_a_429_is_retried_after_the_wait_it_asks_for(
    server: LocalServer, waits: list[float]
) -> None:
    server.replies = [Reply(429, headers={"Retry-After": "3"})]
    assert fetch("GET", server.url(), allow_private=True).status == 200
    assert waits == [3.0]


def test_a_429_asking_for_too_long_a_wait_fails_at_once(
    server: LocalServer, waits: list[float]
) -> None:
    server.replies = [Reply(429, headers={"Retry-After": "3600"})]
    with pytest.raises(OutboundBadStatus) as caught:
        fetch("GET", server.url(), retries=5, allow_private=True)
    assert caught.value.status == 429
    assert len(server.seen) == 1
    assert waits == []


def test_retry_after_may_be_an_http_date() -> None:
    assert http_client._retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert http_client._retry_after("120") == 120.0
    assert http_client._retry_after("soon") is None


def test_no_retry_is_made_when_it_would_overrun_the_total_timeout(
    server: LocalServer, waits: list[float]
) -> None:
    server.replies = [Reply(429, headers={"Retry-After": "5"})]
    with pytest.raises(OutboundBadStatus):
        fetch("GET", server.url(), retries=3, total_timeout=2.0, allow_private=True)
    assert waits == []


def test_a_refused_connection_is_retried_then_reported(waits: list[float]) -> None:
    with pytest.raises(OutboundConnectionError, match=r"Could not connect to 127\.0\.0\.1"):
        fetch("GET", f"http://127.0.0.1:{closed_port()}/", retries=2, allow_private=True)
    assert len(waits) == 2


def test_redirects_are_returned_not_followed(server: LocalServer) -> None:
    server.replies = [Reply(302, b"", {"Location": "http://169.254.169.254/latest/"})]
    response = fetch("GET", server.url(), allow_private=True)
    assert response.status == 302
    assert response.header("Location") == "http://169.254.169.254/latest/"
    assert len(server.seen) == 1


# --- time and size limits -------------------------------------------------------------------------


def test_a_server_that_does_not_answer_times_out(server: LocalServer) -> None:
    server.replies = [Reply(delay=10)]
    started = time.monotonic()
    with pytest.raises(OutboundTimeout, match="did not answer in time"):
        fetch("GET", server.url(), timeout=0.3, retries=0, allow_private=True)
    assert time.monotonic() - started < 1.5


def test_retries_of_a_slow_server_stay_within_the_total_time(
    server: LocalServer, waits: list[float]
) -> None:
    server.replies = [Reply(delay=10)] * 3
    started = time.monotonic()
    with pytest.raises(OutboundTimeout):
        fetch("GET", server.url(), timeout=0.3, retries=2, allow_private=True)
    assert time.monotonic() - started < 2.5
    assert len(server.seen) == 3


def trickle_headers(handler: Handler) -> None:
    handler.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
    for _ in range(100):  # one byte every 50 ms for up to five seconds
        if handler.server.stopping.wait(0.05):
            return
        handler.wfile.write(b"a")
        handler.wfile.flush()


def test_a_server_trickling_bytes_cannot_outlast_the_timeout(server: LocalServer) -> None:
    server.replies = [Reply(custom=trickle_headers)]
    started = time.monotonic()
    with pytest.raises(OutboundTimeout):
        fetch("GET", server.url(), timeout=0.5, retries=0, allow_private=True)
    assert time.monotonic() - started < 1.5


def test_an_answer_declared_larger_than_the_cap_is_refused(server: LocalServer) -> None:
    server.replies = [Reply(body=b"x" * 1001)]
    with pytest.raises(OutboundTooLarge, match="more than 1000 bytes"):
        fetch("GET", server.url(), max_bytes=1000, allow_private=True)


def stream_without_length(handler: Handler) -> None:
    handler.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
    for _ in range(100):
        handler.wfile.write(b"x" * 1000)


def test_an_undeclared_answer_is_cut_at_the_cap(server: LocalServer) -> None:
    server.replies = [Reply(custom=stream_without_length)]
    with pytest.raises(OutboundTooLarge):
        fetch("GET", server.url(), max_bytes=5000, allow_private=True)


def test_an_answer_exactly_at_the_cap_is_accepted(server: LocalServer) -> None:
    server.replies = [Reply(body=b"x" * 1000)]
    assert len(fetch("GET", server.url(), max_bytes=1000, allow_private=True).body) == 1000


# --- what may be reached --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[64:ff9b::a00:1]/",  # NAT64 form of 10.0.0.1
        "http://0.0.0.0/",
        "http://2130706433/",  # 127.0.0.1 written as one number
        "http://localhost/",  # a name that resolves to loopback
    ],
)
def test_internal_addresses_are_refused_by_default(url: str) -> None:
    with pytest.raises(OutboundBlocked, match="Refused to connect"):
        fetch("GET", url, retries=0)


def test_the_setting_allows_private_addresses(server: LocalServer, settings) -> None:
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = True
    assert fetch("GET", server.url()).status == 200
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(OutboundBlocked, match="SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE"):
        fetch("GET", server.url())


def test_the_argument_overrides_the_setting(server: LocalServer, settings) -> None:
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = True
    with pytest.raises(OutboundBlocked):
        fetch("GET", server.url(), allow_private=False)
    assert server.seen == []


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/", "http://[fe80::1]/", "http://0.0.0.0/", "http://224.0.0.1/"]
)
def test_metadata_unspecified_and_multicast_addresses_stay_refused_when_private_is_allowed(
    url: str,
) -> None:
    with pytest.raises(OutboundBlocked, match="never allowed"):
        fetch("GET", url, allow_private=True, retries=0)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("::ffff:93.184.215.14", True),
        ("64:ff9b::5db8:d70e", True),  # NAT64 form of a public address, as on IPv6-only hosts
        ("2002:7f00:1::1", False),  # 6to4 wrapping 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo wrapping private addresses
        ("fec0::1", False),  # deprecated site-local
        ("240.0.0.1", False),
        ("255.255.255.255", False),
    ],
)
def test_public_addresses_pass_and_wrapped_internal_ones_do_not(
    address: str, allowed: bool
) -> None:
    reason = refusal_reason(ipaddress.ip_address(address), allow_private=False)
    assert (reason is None) is allowed


def fake_resolver(
    monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]
) -> list[str]:
    """Resolve the given names to successive answers (the last one repeats); others as usual."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        if host not in answers:
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        asked.append(host)
        queue = answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_name_with_one_internal_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_resolver(monkeypatch, {"mixed.example": [["93.184.215.14", "10.0.0.1"]]})
    with pytest.raises(OutboundBlocked, match=r"mixed.example \(10.0.0.1\): a private address"):
        fetch("GET", "http://mixed.example/", retries=0)


def test_it_connects_to_the_address_it_checked_and_sends_the_name_as_host(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rebinding name: the first answer is checked; a second lookup would lead elsewhere.
    asked = fake_resolver(monkeypatch, {"rebind.example": [["127.0.0.1"], ["192.0.2.1"]]})
    response = fetch("GET", server.url(host="rebind.example"), timeout=1, allow_private=True)
    assert response.status == 200
    assert asked == ["rebind.example"]
    assert server.seen[0].headers["host"] == f"rebind.example:{server.port}"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/file",
        "file:///etc/passwd",
        "gopher://example.org/",
        "javascript:alert(1)",
        "//example.org/",
        "example.org",
    ],
)
def test_schemes_other_than_http_and_https_are_refused(url: str) -> None:
    with pytest.raises(OutboundBlocked, match="only http and https"):
        fetch("GET", url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://user:secret@example.org/", "carries credentials"),
        ("http:///path", "has no host"),
        ("http://example.org:99999/", "not a valid URL"),
        ("http://example.org/a b", "control characters"),
    ],
)
def test_malformed_urls_are_refused_before_any_connection(url: str, message: str) -> None:
    with pytest.raises(OutboundBlocked, match=message):
        fetch("GET", url)


# --- logs -----------------------------------------------------------------------------------------


def test_logs_name_method_host_and_status_but_not_path_query_or_body(
    server: LocalServer, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    server.replies = [Reply(503), Reply(404)]
    caplog.set_level(logging.INFO, logger="safeharbor.core.http_client")
    with pytest.raises(OutboundBadStatus):
        fetch(
            "POST",
            server.url("/hooks/s3cr3t-path?token=s3cr3t-query"),
            body=b"s3cr3t-body",
            allow_private=True,
        )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "POST 127.0.0.1 503" in logged
    assert "POST 127.0.0.1 404" in logged
    assert "s3cr3t" not in logged
    assert "/hooks" not in logged


# --- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for the name localhost only (not for 127.0.0.1)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[LocalServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    local = LocalServer(tls=context).start()
    yield local
    local.stop()


@pytest.fixture
def trust_test_certificate(monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]) -> None:
    context = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(http_client, "_tls_context", lambda: context)


@pytest.mark.usefixtures("trust_test_certificate")
def test_https_verifies_the_certificate_against_the_host_name(tls_server: LocalServer) -> None:
    response = fetch("GET", tls_server.url(host="localhost", scheme="https"), allow_private=True)
    assert response.status == 200
    assert tls_server.seen[0].headers["host"] == f"localhost:{tls_server.port}"


@pytest.mark.usefixtures("trust_test_certificate")
def test_https_refuses_a_certificate_for_another_name(
    tls_server: LocalServer, waits: list[float]
) -> None:
    with pytest.raises(OutboundTLSError, match=r"TLS handshake with 127\.0\.0\.1 failed"):
        fetch("GET", tls_server.url(scheme="https"), allow_private=True)
    assert waits == []  # a certificate does not get better by asking again


def test_https_refuses_a_certificate_no_authority_vouches_for(tls_server: LocalServer) -> None:
    with pytest.raises(OutboundTLSError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch("GET", tls_server.url(host="localhost", scheme="https"), allow_private=True)
