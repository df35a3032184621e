"""A local webhook receiver for tests: a small HTTP server thread on 127.0.0.1 that records what
it receives and answers with the statuses it is told to."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[Received] = []
        self.statuses: list[int] = []  # answers to give, in order; then 204
        self.media: dict[str, tuple[str, bytes]] = {}  # path -> (content type, body) for GET
        self.arrived = threading.Condition()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02})

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` webhooks arrived (for tests with a live server)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
        return list(self.received)

    def verified(self, secret: str) -> list[Any]:
        """Every body received, each verified with the Standard Webhooks library (raises
        ``WebhookVerificationError`` for any bad signature)."""
        return [Webhook(secret).verify(item.body, item.headers) for item in list(self.received)]


class _Handler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status = self.server.statuses.pop(0) if self.server.statuses else 204
        # Recorded before answering, so the sender never sees an answer to an unrecorded call.
        with self.server.arrived:
            self.server.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.server.arrived.notify_all()
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        content_type, body = self.server.media.get(self.path, ("text/plain", b""))
        self.send_response(200 if self.path in self.server.media else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
