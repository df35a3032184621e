"""The one way Safeharbor talks to other machines over HTTP: webhooks, the remote breached-password
range API, the CyberTipline.

``fetch`` resolves the host once, refuses addresses inside the installation's own network (unless
configured), connects to exactly the address it checked, verifies TLS against the host name, gives
every attempt a hard wall-clock deadline, retries what is worth retrying with backoff and jitter,
caps the size of the answer and never follows redirects. Logs name the method, host and status,
never the path, query or body, which may carry secrets.

System proxy variables (``HTTPS_PROXY``...) are not honoured: a proxy would resolve the host itself,
out of reach of the address guard.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import logging
import random
import re
import selectors
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from importlib import metadata
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_FIRST = 0.2  # seconds before the first retry; doubles on each retry, with jitter
BACKOFF_MAX = 2.0
# A server asking to wait longer than this (Retry-After) is not waited for: the call fails at once
# and the caller (a task with its own retry schedule, a person at a form) decides what to do.
RETRY_AFTER_MAX = 10.0
_CHUNK = 64 * 1024
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_RETRY_AFTER_SECONDS = re.compile(r"[0-9]{1,9}")

# Indirection so tests can record waits instead of sleeping through them.
_sleep = time.sleep


class OutboundError(Exception):
    """An outbound request failed. Messages name the method and host, never the path or query."""


class OutboundBlocked(OutboundError):
    """Refused before connecting: not an http(s) URL, credentials in the URL, or an address the
    guard does not allow."""


class OutboundTimeout(OutboundError):
    """The server did not answer within the time allowed."""


class OutboundConnectionError(OutboundError):
    """The host could not be resolved or reached, or broke the HTTP protocol."""


class OutboundTLSError(OutboundConnectionError):
    """The TLS handshake failed, for example because the certificate does not match the host."""


class OutboundTooLarge(OutboundError):
    """The answer was larger than the caller allowed."""


class OutboundBadStatus(OutboundError):
    """The server answered with a 4xx or 5xx status (after any retries)."""

    def __init__(self, message: str, response: Response) -> None:
        super().__init__(message)
        self.response = response

    @property
    def status(self) -> int:
        return self.response.status


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""
    reason: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    request_target: str  # path and query; never logged


@cache
def user_agent() -> str:
    try:
        version = metadata.version("safeharbor")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"Safeharbor/{version}"


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def fetch(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 5.0,
    retries: int = 2,
    allow_private: bool | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    total_timeout: float | None = None,
) -> Response:
    """Send one request and return the answer; redirects (3xx) are returned, not followed.

    ``timeout`` bounds each attempt as a whole (connecting, TLS, sending, reading the full
    answer), not each socket operation. Connection errors, timeouts, 502/503/504 and 429 are retried
    up to ``retries`` times; a ``Retry-After`` of at most ``RETRY_AFTER_MAX`` seconds is honoured.
    ``total_timeout`` bounds the whole call, waits included; by default it is what the attempts and
    waits can take at most. ``allow_private`` defaults to the setting
    ``SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE``. Raises an ``OutboundError`` subclass on any failure,
    including a 4xx or 5xx answer (``OutboundBadStatus``, which carries the response).
    """
    method = method.upper()
    target = _parse_url(url)
    if allow_private is None:
        allow_private = bool(getattr(settings, "SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE", False))
    sent_headers = {
        "User-Agent": user_agent(),
        "Accept-Encoding": "identity",  # compressed answers could hide a decompression bomb
        "Connection": "close",
        **(headers or {}),
    }
    if total_timeout is None:
        total_timeout = (retries + 1) * timeout + retries * max(BACKOFF_MAX, RETRY_AFTER_MAX)
    started = time.monotonic()
    deadline = started + total_timeout
    attempt = 0
    while True:
        attempt += 1
        attempt_started = time.monotonic()
        try:
            response = _attempt(
                method,
                target,
                sent_headers,
                body,
                deadline=min(deadline, attempt_started + timeout),
                allow_private=allow_private,
                max_bytes=max_bytes,
            )
        except (OutboundTimeout, OutboundConnectionError) as error:
            if isinstance(error, OutboundTLSError):
                logger.warning("outbound %s %s: %s", method, target.host, error)
                raise
            failure: OutboundError = error
            wait: float | None = _backoff(attempt)
        except OutboundError as error:
            logger.warning("outbound %s %s: %s", method, target.host, error)
            raise
        else:
            elapsed_ms = (time.monotonic() - attempt_started) * 1000
            logger.info(
                "outbound %s %s %s in %.0f ms", method, target.host, response.status, elapsed_ms
            )
            if response.status < 400:
                return response
            failure = OutboundBadStatus(
                f"{method} {target.host} answered {response.status} {response.reason}".rstrip()
                + f" (attempt {attempt} of {retries + 1}).",
                response,
            )
            if response.status not in RETRY_STATUSES:
                raise failure
            asked = _retry_after(response.header("Retry-After"))
            wait = _backoff(attempt) if asked is None else asked
            if wait > RETRY_AFTER_MAX:
                wait = None
        if wait is None or attempt > retries or time.monotonic() + wait >= deadline:
            logger.warning("outbound %s %s: %s", method, target.host, failure)
            raise failure
        logger.warning("outbound %s %s: %s Retrying in %.2f s.", method, target.host, failure, wait)
        _sleep(wait)


def refusal_reason(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``fetch`` refuses to connect to ``address``, or None when it may.

    Addresses that are never a web server (unspecified, multicast, reserved) and link-local ones
    (the cloud metadata service at 169.254.169.254 lives there) are refused even when private
    addresses are allowed: allowing private addresses is meant for the platform's own services on
    its network, not for credentials handed out by the hypervisor. IPv6 forms that carry an IPv4
    address (mapped, NAT64, 6to4, Teredo) are judged by that IPv4 address too.
    """
    for candidate in _judged_addresses(address):
        reason = _refusal_of_one(candidate, allow_private)
        if reason is not None:
            return reason
    return None


def _judged_addresses(address: IPAddress) -> Iterator[IPAddress]:
    if isinstance(address, ipaddress.IPv4Address):
        yield address
        return
    if address.ipv4_mapped is not None:
        yield address.ipv4_mapped  # the packet goes to the IPv4 address, so judge only that
        return
    if address in _NAT64:
        yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return
    yield address
    if address.sixtofour is not None:
        yield address.sixtofour
    if address.teredo is not None:
        yield from address.teredo


def _refusal_of_one(address: IPAddress, allow_private: bool) -> str | None:
    if address.is_unspecified or address in _THIS_NETWORK:
        return "an unspecified address, never allowed"
    if address.is_multicast:
        return "a multicast address, never allowed"
    if address.is_link_local:
        return "a link-local address (such as a cloud metadata service), never allowed"
    if address.is_loopback:
        kind = "a loopback address"
    elif address.is_reserved:
        return "a reserved address, never allowed"
    elif address.is_global and not (
        isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    ):
        return None
    else:
        kind = "a private address"
    if allow_private:
        return None
    return f"{kind}; set SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE=true to allow private addresses"


def _parse_url(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundBlocked("Refused: the address is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundBlocked(
            f"Refused: only http and https addresses are allowed, not {scheme or 'none'!r}."
        )
    if parts.username is not None or parts.password is not None:
        raise OutboundBlocked(
            "Refused: the URL carries credentials; send them in an Authorization header."
        )
    host = parts.hostname
    if not host:
        raise OutboundBlocked("Refused: the URL has no host.")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise OutboundBlocked("Refused: the host name is not a valid domain name.") from None
    request_target = parts.path or "/"
    if parts.query:
        request_target += "?" + parts.query
    if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in request_target):
        raise OutboundBlocked("Refused: the path or query contains spaces or control characters.")
    return _Target(scheme, host, port or (443 if scheme == "https" else 80), request_target)


def _attempt(
    method: str,
    target: _Target,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    deadline: float,
    allow_private: bool,
    max_bytes: int,
) -> Response:
    addresses = _resolve(target, allow_private)
    sock = _connect(target, addresses, deadline)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(target.host, target.port, context=_tls_context())
    else:
        connection = http.client.HTTPConnection(target.host, target.port)
    # http.client sends Host from target.host but must never connect (and so resolve) by itself.
    connection.sock = _DeadlineSocket(sock, deadline)
    connection.auto_open = 0
    try:
        try:
            connection.request(method, target.request_target, body=body, headers=dict(headers))
        except ValueError as error:  # a header value with a line break, a malformed method
            raise OutboundError(f"{method} {target.host}: the request is malformed.") from error
        answer = connection.getresponse()
        declared = answer.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(method, target, max_bytes)
        chunks: list[bytes] = []
        size = 0
        while chunk := answer.read(min(_CHUNK, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(method, target, max_bytes)
        headers_received: dict[str, str] = {}
        for name, value in answer.getheaders():
            key = name.lower()
            headers_received[key] = (
                f"{headers_received[key]}, {value}" if key in headers_received else value
            )
        return Response(answer.status, headers_received, b"".join(chunks), answer.reason)
    except TimeoutError:
        raise OutboundTimeout(f"{method} {target.host} did not answer in time.") from None
    except (OSError, http.client.HTTPException) as error:
        raise OutboundConnectionError(
            f"{method} {target.host} failed: {type(error).__name__}: {str(error)[:200]}."
        ) from None
    finally:
        connection.close()
        sock.close()


def _too_large(method: str, target: _Target, max_bytes: int) -> OutboundTooLarge:
    return OutboundTooLarge(f"{method} {target.host} answered with more than {max_bytes} bytes.")


def _resolve(target: _Target, allow_private: bool) -> list[tuple[int, tuple[str, int]]]:
    """Every address of the host, all checked: one refused address refuses the host, so a name
    cannot mix a public address with an internal one."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundConnectionError(f"{target.host} could not be resolved: {error}.") from None
    addresses: list[tuple[int, tuple[str, int]]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        text = str(sockaddr[0])
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = refusal_reason(address, allow_private=allow_private)
        if reason is not None:
            raise OutboundBlocked(f"Refused to connect to {target.host} ({address}): {reason}.")
        entry = (family, (text, target.port))
        if entry not in addresses:
            addresses.append(entry)
    if not addresses:
        raise OutboundConnectionError(f"{target.host} has no IPv4 or IPv6 address.")
    return addresses


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("deadline passed")
    return remaining


def _connect(
    target: _Target, addresses: list[tuple[int, tuple[str, int]]], deadline: float
) -> socket.socket:
    """A connected (and for https, TLS-verified) socket to one of the checked addresses."""
    last_error: OSError = OSError("no address")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(_remaining(deadline))
            sock.connect(sockaddr)
        except TimeoutError:
            sock.close()
            raise OutboundTimeout(f"Connecting to {target.host} timed out.") from None
        except OSError as error:
            sock.close()
            last_error = error
            continue
        if target.scheme == "http":
            return sock
        try:
            return _handshake(sock, target.host, deadline)
        except TimeoutError:
            sock.close()
            raise OutboundTimeout(f"The TLS handshake with {target.host} timed out.") from None
        except ssl.SSLError as error:
            sock.close()
            raise OutboundTLSError(
                f"The TLS handshake with {target.host} failed: {error.reason or error}."
            ) from None
        except OSError as error:
            sock.close()
            last_error = error
    raise OutboundConnectionError(f"Could not connect to {target.host}: {last_error}.")


def _handshake(sock: socket.socket, host: str, deadline: float) -> ssl.SSLSocket:
    """Non-blocking, so a server that dribbles its handshake cannot outlast the deadline."""
    tls = _tls_context().wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    try:
        tls.setblocking(False)
        with selectors.DefaultSelector() as selector:
            while True:
                try:
                    tls.do_handshake()
                    return tls
                except ssl.SSLWantReadError:
                    events = selectors.EVENT_READ
                except ssl.SSLWantWriteError:
                    events = selectors.EVENT_WRITE
                selector.register(tls, events)
                ready = selector.select(_remaining(deadline))
                selector.unregister(tls)
                if not ready:
                    raise TimeoutError("handshake deadline passed")
    except BaseException:
        tls.close()  # wrap_socket took over the descriptor: closing `sock` would not close it
        raise


class _DeadlineSocket:
    """The connected socket as http.client sees it. Each operation gets only the time left before
    the attempt's deadline, so a server that trickles bytes cannot hold the call open."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def _arm(self) -> None:
        self._sock.settimeout(_remaining(self._deadline))

    def sendall(self, data: bytes) -> None:
        self._arm()
        self._sock.sendall(data)

    def recv_into(self, buffer: memoryview) -> int:
        self._arm()
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        assert mode == "rb", mode
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        """Not here: http.client closes the connection while the response is still being read
        (a real socket stays open through makefile's reference count). ``_attempt`` closes it."""


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: _DeadlineSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)


def _backoff(attempt: int) -> float:
    ceiling = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (attempt - 1))
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not a secret)


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if _RETRY_AFTER_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
