"""Likely duplicates of a report among earlier ones, with a score.

Each submitted report gets a signature and index keys, written in the submission's transaction:

- **words**: the content words of title and description (lower case, stop words dropped,
  plural and -ing/-ed endings cut);
- **endpoint templates**: URL paths from the endpoint field and the text, host, query and case
  dropped, ids, numbers, UUIDs and hex tokens replaced by ``{id}`` (``/API/v2/users/42/orders/``
  and ``https://host/api/v2/users/{userId}/orders?x=1`` are both ``/api/v2/users/{id}/orders``);
- **parameters**: the parameter field, ``?name=`` / ``name=`` pairs, and names written next to
  the word "parameter".

Index keys: one per endpoint template, one per (asset, endpoint template), one per (asset,
parameter), and MinHash LSH bands of the
words (``BANDS`` bands of ``ROWS`` rows), so reports with similar wording share a band with high
probability. A suggestion looks up the keys of the report (one indexed query), takes the
``CANDIDATES`` reports sharing the most keys and scores each:

    score = 0.50 * Jaccard(words) + 0.20 * same endpoint + 0.15 * same parameter
          + 0.10 * same asset + 0.05 * same weakness

Only earlier submitted reports are candidates, and only within the queryset the caller passes:
a researcher's page passes the reports that researcher may see (their own and disclosed ones),
so a suggestion never reveals another researcher's report.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, QuerySet

from safeharbor.disclosure.models import DuplicateKey, DuplicateSignature, Report, ReportState

BANDS = 8
ROWS = 3
CANDIDATES = 100
MIN_SCORE = 0.35
WEIGHTS = {"words": 0.50, "endpoint": 0.20, "parameter": 0.15, "asset": 0.10, "weakness": 0.05}

_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20260501)  # fixed: every process must hash the same way
_A = _rng.integers(1, 1 << 31, size=BANDS * ROWS, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=BANDS * ROWS, dtype=np.uint64)

_STOP_WORDS_TEXT = """
a about above after again all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers him his how i if in into is it its itself just me more
most my no nor not now of off on once only or other our out over own same she should so some
such than that the their them then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours get
gets got one via using used use able like way where which whose
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_WORD = re.compile(r"[a-z][a-z0-9_]+")
_PATH = re.compile(r"(?:https?://[^\s/`'\"<>()]+)?(/[A-Za-z0-9_\-.{}:%~/]+)")
_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|\{[^}]*\}|:\w+|<[^>]*>)$",
    re.IGNORECASE,
)
_QUERY_PARAMETER = re.compile(r"[?&;]([A-Za-z_][\w\-\[\]]{0,40})=")
_ASSIGNED_PARAMETER = re.compile(r"\b([A-Za-z_][\w\-]{1,40})=")
_NAMED_PARAMETER = re.compile(
    r"\b(?:parameter|param|argument|field)\s+[`'\"]?([A-Za-z_][\w\-]{1,40})"
    r"|[`'\"]([A-Za-z_][\w\-]{1,40})[`'\"]\s+(?:parameter|param|argument|field)\b",
    re.IGNORECASE,
)
_NOT_PARAMETERS = STOP_WORDS | {"value", "name", "http", "https"}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def words_of(text: str) -> set[str]:
    """Content words of ``text``, as compared between reports."""
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS}


def endpoint_template(path: str) -> str:
    """``/API/v2/users/42/orders/?a=1`` -> ``/api/v2/users/{id}/orders``; "" if not a path."""
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    segments = []
    for segment in path.strip().split("/"):
        segment = segment.strip(".:,;").lower()
        if not segment:
            continue
        segments.append("{id}" if _ID_SEGMENT.match(segment) else segment)
    if not any(s != "{id}" and any(c.isalpha() for c in s) for s in segments):
        return ""
    return "/" + "/".join(segments)


def endpoints_of(endpoint: str, text: str) -> set[str]:
    found = set()
    for candidate in [endpoint, *_PATH.findall(text)]:
        if not candidate:
            continue
        if "/" not in candidate:  # an operation name such as "getUser"
            found.add(candidate.strip().lower())
            continue
        path = _PATH.search(candidate)
        template = endpoint_template(path.group(1) if path else candidate)
        if template:
            found.add(template)
    return found


def parameters_of(parameter: str, text: str) -> set[str]:
    found = {parameter.strip().lower()} if parameter.strip() else set()
    for pattern in (_QUERY_PARAMETER, _ASSIGNED_PARAMETER):
        found.update(match.lower() for match in pattern.findall(text))
    for first, second in _NAMED_PARAMETER.findall(text):
        found.add((first or second).lower())
    return {p for p in found if p not in _NOT_PARAMETERS}


def _hash32(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=4).digest(), "big")


def minhash_bands(words: Iterable[str]) -> list[str]:
    """MinHash of the word set, cut into ``BANDS`` bands of ``ROWS`` values each."""
    values = np.fromiter((_hash32(w) for w in words), dtype=np.uint64)
    if values.size == 0:
        return []
    hashed = (values[:, None] * _A[None, :] + _B[None, :]) % np.uint64(_PRIME)
    minimum = hashed.min(axis=0).reshape(BANDS, ROWS)
    return [hashlib.blake2b(row.tobytes(), digest_size=8).hexdigest() for row in minimum]


@dataclass
class Signature:
    words: set[str]
    endpoints: set[str]
    parameters: set[str]
    asset_id: int | None = None
    weakness_id: int | None = None

    def keys(self) -> list[str]:
        keys = [f"e:{_digest(e)}" for e in sorted(self.endpoints)]
        if self.asset_id is not None:
            keys += [f"a:{self.asset_id}:{_digest(e)}" for e in sorted(self.endpoints)]
            keys += [f"p:{self.asset_id}:{_digest(p)}" for p in sorted(self.parameters)]
        keys += [f"m{band}:{value}" for band, value in enumerate(minhash_bands(self.words))]
        return keys


def _digest(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=12).hexdigest()


def signature_of(
    *,
    title: str,
    description: str,
    steps_to_reproduce: str = "",
    endpoint: str = "",
    parameter: str = "",
    asset_id: int | None = None,
    weakness_id: int | None = None,
) -> Signature:
    text = f"{title}\n{description}\n{steps_to_reproduce}"
    return Signature(
        words=words_of(f"{title}\n{description}"),
        endpoints=endpoints_of(endpoint, text),
        parameters=parameters_of(parameter, text),
        asset_id=asset_id,
        weakness_id=weakness_id,
    )


def signature_of_report(report: Report) -> Signature:
    return signature_of(
        title=report.title,
        description=report.description,
        steps_to_reproduce=report.steps_to_reproduce,
        endpoint=report.endpoint,
        parameter=report.parameter,
        asset_id=report.asset_id,
        weakness_id=report.weakness_id,
    )


def index_reports(reports: Iterable[Report]) -> int:
    """Write (or rewrite) the signature and keys of submitted reports; drafts are skipped.
    Called by the submission service inside its transaction, and by ``vdp reindex-duplicates``."""
    signatures: list[DuplicateSignature] = []
    keys: list[DuplicateKey] = []
    ids = []
    for report in reports:
        if report.is_draft:
            continue
        signature = signature_of_report(report)
        ids.append(report.pk)
        signatures.append(
            DuplicateSignature(
                report=report,
                words=sorted(signature.words),
                endpoints=sorted(signature.endpoints),
                parameters=sorted(signature.parameters),
            )
        )
        keys.extend(DuplicateKey(key=key, report=report) for key in set(signature.keys()))
    if ids:
        DuplicateKey.objects.filter(report_id__in=ids).delete()
        DuplicateSignature.objects.filter(report_id__in=ids).delete()
        DuplicateSignature.objects.bulk_create(signatures)
        DuplicateKey.objects.bulk_create(keys, batch_size=2000)
    return len(ids)


@dataclass(frozen=True)
class Suggestion:
    report_id: int
    title: str
    state: str
    score: float
    reasons: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def state_label(self) -> str:
        return ReportState(self.state).label


def _jaccard(left: set[str], right: set[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def score(query: Signature, other: Signature) -> tuple[float, list[str]]:
    text = _jaccard(query.words, other.words)
    reasons = [f"{round(text * 100)}% of the words"]
    total = WEIGHTS["words"] * text
    shared_endpoints = query.endpoints & other.endpoints
    if shared_endpoints:
        total += WEIGHTS["endpoint"]
        reasons.append(f"endpoint {sorted(shared_endpoints)[0]}")
    shared_parameters = query.parameters & other.parameters
    if shared_parameters:
        total += WEIGHTS["parameter"]
        reasons.append(f"parameter {sorted(shared_parameters)[0]}")
    if query.asset_id is not None and query.asset_id == other.asset_id:
        total += WEIGHTS["asset"]
        reasons.append("same asset")
    if query.weakness_id is not None and query.weakness_id == other.weakness_id:
        total += WEIGHTS["weakness"]
        reasons.append("same weakness")
    return round(total, 4), reasons


def suggest_duplicates(
    report: Report,
    *,
    within: QuerySet[Report] | None = None,
    limit: int = 5,
    min_score: float = MIN_SCORE,
) -> list[Suggestion]:
    """The likeliest duplicates of ``report`` among earlier submitted reports in ``within``
    (default: all), best first. The pages and the benchmark call this same function."""
    query = signature_of_report(report)
    keys = query.keys()
    if not keys:
        return []
    shared = (
        DuplicateKey.objects.filter(key__in=keys)
        .exclude(report_id=report.pk)
        .values("report_id")
        .annotate(hits=Count("pk"))
        .order_by("-hits", "-report_id")[:CANDIDATES]
    )
    ids = [row["report_id"] for row in shared]
    if not ids:
        return []
    candidates = (within if within is not None else Report.objects.all()).filter(
        pk__in=ids, is_draft=False
    )
    if report.submitted_at is not None:
        candidates = candidates.filter(submitted_at__lt=report.submitted_at)
    rows: list[dict[str, Any]] = [
        dict(row) for row in candidates.values("pk", "title", "state", "asset_id", "weakness_id")
    ]
    signatures = {
        row["report_id"]: row
        for row in DuplicateSignature.objects.filter(report_id__in=[r["pk"] for r in rows]).values(
            "report_id", "words", "endpoints", "parameters"
        )
    }
    suggestions = []
    for row in rows:
        stored = signatures.get(row["pk"])
        if stored is None:
            continue
        other = Signature(
            words=set(stored["words"]),
            endpoints=set(stored["endpoints"]),
            parameters=set(stored["parameters"]),
            asset_id=row["asset_id"],
            weakness_id=row["weakness_id"],
        )
        value, reasons = score(query, other)
        if value >= min_score:
            suggestions.append(Suggestion(row["pk"], row["title"], row["state"], value, reasons))
    suggestions.sort(key=lambda s: (-s.score, s.report_id))
    return suggestions[:limit]
