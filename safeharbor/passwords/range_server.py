"""The standalone range server behind ``safeharbor pwned serve``: a bare WSGI application for
mirrors that serve only ``GET /range/{prefix}``, run by granian with one process per core.

It loads no Django: each worker process opens the index files named by SAFEHARBOR_PWNED_INDEX and
SAFEHARBOR_PWNED_NTLM_INDEX (memory-mapped, shared through the page cache) and answers through
``range_api.range_response``, the same function as the app's own /range/ view.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from safeharbor.passwords import range_api
from safeharbor.passwords.breach.index import BreachIndex, open_index

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

REASONS = {
    200: "200 OK",
    304: "304 Not Modified",
    400: "400 Bad Request",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
}
ENVIRONMENT = {"sha1": "SAFEHARBOR_PWNED_INDEX", "ntlm": "SAFEHARBOR_PWNED_NTLM_INDEX"}


def make_app(indexes: dict[str, BreachIndex]) -> Callable[..., Iterable[bytes]]:
    index_for = indexes.get

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/range/"):
            return _plain(start_response, 404, "Not found: this server answers /range/{prefix}.")
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _plain(
                start_response, 405, "Only GET and HEAD are allowed.", (("Allow", "GET, HEAD"),)
            )
        query = environ.get("QUERY_STRING", "")
        mode = parse_qs(query).get("mode", [None])[0] if query else None
        answer = range_api.range_response(
            path[len("/range/") :],
            mode=mode,
            add_padding=environ.get("HTTP_ADD_PADDING"),
            if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
            index_for=index_for,
        )
        headers = [*answer.headers, ("Content-Length", str(len(answer.body)))]
        start_response(REASONS[answer.status], headers)
        return [b""] if method == "HEAD" else [answer.body]

    return app


def _plain(
    start_response: StartResponse, status: int, text: str, extra: tuple[tuple[str, str], ...] = ()
) -> list[bytes]:
    body = text.encode()
    start_response(
        REASONS[status],
        [("Content-Type", range_api.PLAIN), ("Content-Length", str(len(body))), *extra],
    )
    return [body]


def indexes_from_environment() -> dict[str, BreachIndex]:
    """The indexes named in the environment; at least one must be an exact index."""
    indexes = {}
    for mode, variable in ENVIRONMENT.items():
        path = os.environ.get(variable)
        if path:
            index = open_index(path)
            if index.mode != mode:
                raise SystemExit(f"{variable} names a {index.mode} index, not a {mode} one: {path}")
            indexes[mode] = index
    if not any(index.format == "exact" for index in indexes.values()):
        raise SystemExit(
            "The range server needs an exact index: set SAFEHARBOR_PWNED_INDEX (SHA-1) and/or "
            "SAFEHARBOR_PWNED_NTLM_INDEX to a file built with `safeharbor pwned build`."
        )
    return indexes


def create_app() -> Callable[..., Iterable[bytes]]:
    """granian's factory: runs once in each worker process."""
    return make_app(indexes_from_environment())
