"""`safeharbor pwned serve`: the standalone range server answers what the app's /range/ answers."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from safeharbor.passwords.breach import checker
from safeharbor.passwords.breach.build import build_index
from safeharbor.passwords.breach.index import open_index
from safeharbor.passwords.breach.synthetic import random_corpus, write_single_file
from safeharbor.passwords.range_server import make_app


@pytest.fixture
def exact_index(tmp_path: Path) -> Path:
    corpus = random_corpus(4000, seed=3)
    source = write_single_file(corpus, tmp_path / "pwned.txt")
    output = tmp_path / "pwned-sha1.idx"
    build_index(source, output, mode="sha1", format="exact")
    return output


@pytest.fixture
def compact_index(tmp_path: Path) -> Path:
    source = write_single_file(random_corpus(100, seed=4), tmp_path / "small.txt")
    output = tmp_path / "compact.idx"
    build_index(source, output, mode="sha1", format="compact")
    return output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(exact_index: Path) -> Iterator[int]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "safeharbor",
            "pwned",
            "serve",
            "--sha1",
            str(exact_index),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env={**os.environ, "SAFEHARBOR_ENV": "test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the range server did not start"
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=15)
    if process.stdout:
        process.stdout.close()


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_the_standalone_server_answers_byte_for_byte_what_the_app_answers(
    server: int, exact_index: Path, settings
) -> None:
    settings.SAFEHARBOR_PWNED_INDEX = str(exact_index)
    try:
        with open_index(exact_index) as index:
            prefixes = ["00000", "FFFFF", "7A3F0"] + [
                f"{value:05X}" for value in range(0, 1 << 20, 1 << 14)
            ]
            for prefix in prefixes:
                ours = _get(server, f"/range/{prefix}")
                app = Client().get(f"/range/{prefix}")
                assert ours.status == app.status_code == 200
                assert ours.body == app.content  # type: ignore[attr-defined]
                expected = "\r\n".join(f"{s}:{c}" for s, c in index.range(prefix)).encode()
                assert ours.body == expected  # type: ignore[attr-defined]
                assert ours.getheader("ETag") == app["ETag"]
                assert ours.getheader("Cache-Control") == app["Cache-Control"]
    finally:
        with checker._lock:
            opened = checker._opened.pop(str(exact_index), None)
        if opened is not None:
            opened.close()


def test_the_standalone_server_refuses_bad_requests_like_the_app(server: int) -> None:
    bad_prefix = _get(server, "/range/5BAA")
    assert bad_prefix.status == 400
    assert b"5 hexadecimal characters" in bad_prefix.body  # type: ignore[attr-defined]
    assert _get(server, "/range/5BAA6?mode=md5").status == 400
    no_ntlm = _get(server, "/range/5BAA6?mode=ntlm")
    assert no_ntlm.status == 404
    assert b"No NTLM" in no_ntlm.body  # type: ignore[attr-defined]
    assert _get(server, "/").status == 404
    prefix = random_corpus(4000, seed=3)[0][0].hex()[:5].upper()  # a prefix with rows
    first = _get(server, f"/range/{prefix}")
    assert first.body  # type: ignore[attr-defined]
    again = _get(server, f"/range/{prefix}", {"If-None-Match": first.getheader("ETag") or ""})
    assert again.status == 304
    padded = _get(server, f"/range/{prefix}", {"Add-Padding": "true"})
    rows = padded.body.split(b"\r\n")  # type: ignore[attr-defined]
    assert 800 <= len(rows) <= 1000
    assert padded.getheader("Cache-Control") == "no-store"
    assert set(first.body.split(b"\r\n")) <= set(rows)  # type: ignore[attr-defined]


def test_the_wsgi_app_refuses_other_methods(exact_index: Path) -> None:
    statuses = []
    app = make_app({"sha1": open_index(exact_index)})
    body = app(
        {"PATH_INFO": "/range/ABCDE", "REQUEST_METHOD": "POST"},
        lambda status, headers: statuses.append((status, dict(headers))),
    )
    assert statuses[0][0] == "405 Method Not Allowed"
    assert statuses[0][1]["Allow"] == "GET, HEAD"
    assert b"Only GET and HEAD" in b"".join(body)
    head: list[str] = []
    assert app(
        {"PATH_INFO": "/range/ABCDE", "REQUEST_METHOD": "HEAD"},
        lambda status, headers: head.append(status),
    ) == [b""]
    assert head == ["200 OK"]


def test_serve_refuses_a_compact_index_and_bad_options(compact_index: Path, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="needs an exact SHA-1 index"):
        call_command("pwned", "serve", "--sha1", str(compact_index))
    with pytest.raises(CommandError, match="cannot open"):
        call_command("pwned", "serve", "--sha1", str(tmp_path / "missing.idx"))
    with pytest.raises(CommandError, match="--bind must be HOST:PORT"):
        call_command("pwned", "serve", "--sha1", str(compact_index), "--bind", "localhost")
    with pytest.raises(CommandError, match="Nothing to serve"):
        call_command("pwned", "serve")
