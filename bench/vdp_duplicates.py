"""Duplicate suggestion for vulnerability reports: suggest_duplicates() as the report page calls it.

Goal (issue: vulnerability disclosure program): against 100,000 stored reports, p95 latency
<= 50 ms and recall@5 >= 0.9 on paraphrased duplicates that this benchmark generates.

Stored reports come from templates over many assets, endpoints, parameters and weakness types,
with varied wording and ids. Each query is a paraphrase of one stored report: synonyms swapped,
sentences reordered, the endpoint written differently (full URL with host, other ids, case,
trailing slash, query string) and the parameter named another way; half leave the endpoint field
empty so it must be found in the text. A paraphrase is submitted later than its original and
indexed by the same code as a real submission; recall@5 counts the originals found in the five
suggestions. Latency is the wall time of one suggest_duplicates() call against the database.

    python -m bench.vdp_duplicates                    # smoke size (CI): 5,000 reports, SQLite
    python -m bench.vdp_duplicates --full             # 100,000 reports, SQLite
    python -m bench.vdp_duplicates --full --postgres  # 100,000 reports, throwaway PostgreSQL db
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RESOURCES = [
    "users", "orders", "invoices", "files", "messages", "teams", "projects", "payments",
    "tickets", "reports", "comments", "sessions", "tokens", "webhooks", "exports", "addresses",
    "carts", "coupons", "documents", "groups",
]  # fmt: skip
ACTIONS = ["", "download", "share", "history", "settings", "avatar", "members", "refund", "preview"]
WEAKNESSES: dict[str, dict[str, Any]] = {
    "idor": {
        "titles": ["IDOR on {res} {act}", "Insecure direct object reference in {res}"],
        "para_titles": ["Access other accounts' {res} via {act} endpoint",
                        "Broken authorization lets anyone read {res}"],
        "says": ["changing the identifier returns another customer's record",
                 "the server does not check that the object belongs to the caller"],
        "para_says": ["swapping the id shows a different customer's data",
                      "ownership of the object is never verified by the backend"],
        "params": ["id", "account_id", "owner", "user_id"],
    },
    "xss": {
        "titles": ["Stored XSS in {res} {act}", "Cross-site scripting via {res}"],
        "para_titles": ["Persistent script injection on the {res} {act} page",
                        "JavaScript runs from {res} input"],
        "says": ["the value is rendered without escaping and script executes",
                 "an attacker payload fires in the victim's browser"],
        "para_says": ["input is echoed unescaped so injected script is executed",
                      "the injected payload executes in another user's browser"],
        "params": ["name", "title", "comment", "q", "label"],
    },
    "sqli": {
        "titles": ["SQL injection in {res} {act}", "Blind SQLi on {res}"],
        "para_titles": ["Database injection through the {res} {act} filter",
                        "Time-based SQL injection affecting {res}"],
        "says": ["a single quote breaks the query and sleep payloads delay the response",
                 "the database error shows the raw query"],
        "para_says": ["a quote character causes a database error and delays with sleep",
                      "raw SQL errors leak the query text"],
        "params": ["sort", "filter", "order", "where"],
    },
    "ssrf": {
        "titles": ["SSRF in {res} {act}", "Server-side request forgery on {res}"],
        "para_titles": ["The {res} {act} feature fetches internal URLs",
                        "Internal network reachable through {res}"],
        "says": ["the server fetches any URL including the metadata service",
                 "internal hosts are reachable from the fetcher"],
        "para_says": ["arbitrary addresses are requested server-side, metadata included",
                      "the backend fetcher can reach internal services"],
        "params": ["url", "callback", "webhook_url", "image_url"],
    },
    "redirect": {
        "titles": ["Open redirect on {res} {act}", "Unvalidated redirect in {res}"],
        "para_titles": ["Redirect to attacker site after {res} {act}",
                        "Arbitrary redirection from the {res} flow"],
        "says": ["the user is sent to any external domain",
                 "phishing pages can be reached from a trusted link"],
        "para_says": ["visitors are forwarded to an arbitrary outside domain",
                      "a trusted link ends on a phishing page"],
        "params": ["next", "return_to", "redirect_uri", "continue"],
    },
    "csrf": {
        "titles": ["CSRF on {res} {act}", "Missing CSRF protection in {res}"],
        "para_titles": ["Cross-site request forgery changes {res} {act}",
                        "No anti-forgery token for {res}"],
        "says": ["a forged form submission changes the victim's data",
                 "the request has no token and cookies are sent cross-site"],
        "para_says": ["a form on another site silently modifies the victim's data",
                      "no token is checked and the browser attaches cookies"],
        "params": ["email", "password", "role", "plan"],
    },
    "traversal": {
        "titles": ["Path traversal in {res} {act}", "Directory traversal on {res}"],
        "para_titles": ["Reading arbitrary files through {res} {act}",
                        "Dot-dot-slash file disclosure in {res}"],
        "says": ["../ sequences read files outside the upload folder",
                 "the server returns /etc/passwd"],
        "para_says": ["dot dot slash sequences escape the storage folder",
                      "system files such as passwd are returned"],
        "params": ["file", "path", "template", "doc"],
    },
    "ratelimit": {
        "titles": ["No rate limit on {res} {act}", "Brute force possible on {res}"],
        "para_titles": ["Unlimited attempts against {res} {act}",
                        "Missing throttling for {res}"],
        "says": ["thousands of attempts per minute are accepted",
                 "codes can be guessed because requests are never throttled"],
        "para_says": ["the endpoint accepts unlimited guesses per minute",
                      "nothing slows down repeated attempts so codes are guessable"],
        "params": ["code", "otp", "pin", "token"],
    },
}  # fmt: skip
FILLER = [
    "Tested with a fresh account.",
    "Reproduced in Firefox and Chromium.",
    "Screenshots are attached.",
    "This was found during authorised testing.",
    "The issue is present in production.",
    "Please let me know if you need more details.",
    "Impact is limited to authenticated users.",
    "I stopped testing after confirming the behaviour.",
]
SYNONYMS = {"customer": "client", "record": "entry", "server": "backend", "value": "input"}
SMOKE = {"reports": 5_000, "assets": 40, "queries": 200}
FULL = {"reports": 100_000, "assets": 400, "queries": 1_000}


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _path(resource: str, action: str, version: int, ident: int) -> str:
    return f"/api/v{version}/{resource}/{ident}" + (f"/{action}" if action else "")


def stored_report(rng: random.Random, spec: tuple[int, str, str, int, str, str]) -> dict[str, str]:
    _asset, resource, action, version, kind, parameter = spec
    weakness = WEAKNESSES[kind]
    act = action or "details"
    path = _path(resource, action, version, rng.randrange(1, 10**6))
    sentences = [
        f"Request {rng.choice(['GET', 'POST', 'PUT'])} {path}?{parameter}=test.",
        f"With the {parameter} parameter {rng.choice(weakness['says'])}.",
        *rng.sample(FILLER, 2),
    ]
    return {
        "title": rng.choice(weakness["titles"]).format(res=resource, act=act),
        "description": " ".join(sentences),
        "endpoint": _path(resource, action, version, rng.randrange(1, 999)),
        "parameter": parameter,
    }


def paraphrase(rng: random.Random, spec: tuple[int, str, str, int, str, str]) -> dict[str, str]:
    asset, resource, action, version, kind, parameter = spec
    weakness = WEAKNESSES[kind]
    act = action or "details"
    path = _path(resource, action, version, rng.randrange(1, 10**6))
    written = rng.choice(
        [
            f"https://app{asset}.example.org{path.upper() if rng.random() < 0.3 else path}/",
            f"{path}?{parameter}=x&lang=en",
            path.replace(f"/{resource}/", f"/{resource.capitalize()}/") + "/",
        ]
    )
    said = rng.choice(weakness["para_says"])
    for word, other in SYNONYMS.items():
        said = said.replace(word, other)
    sentences = [
        f"Sending a request to {written} shows the problem.",
        rng.choice([f"The `{parameter}` field: {said}.", f"When {parameter}= is changed, {said}."]),
        rng.choice(FILLER),
    ]
    rng.shuffle(sentences)
    use_field = rng.random() < 0.5
    return {
        "title": rng.choice(weakness["para_titles"]).format(res=resource, act=act),
        "description": " ".join(sentences),
        "endpoint": _path(resource, action, version, rng.randrange(1, 999)) if use_field else "",
        "parameter": parameter if use_field else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="100,000 stored reports")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL database")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    size = FULL if args.full else SMOKE
    workdir = tempfile.TemporaryDirectory(prefix="vdp-duplicates-")
    database = f"safeharbor_bench_dupes_{os.getpid()}"
    if args.postgres:
        import psycopg

        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        os.environ["DATABASE_URL"] = args.admin_url.rsplit("/", 1)[0] + "/" + database
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(workdir.name) / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeharbor.settings")
    os.environ["SAFEHARBOR_ENV"] = "test"
    try:
        _run(size, "PostgreSQL" if args.postgres else "SQLite")
    finally:
        from django.db import connections

        connections.close_all()
        if args.postgres:
            import psycopg

            with psycopg.connect(args.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        workdir.cleanup()


def _run(size: dict[str, int], engine: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from safeharbor.accounts.models import User
    from safeharbor.disclosure.duplicates import index_reports, suggest_duplicates
    from safeharbor.disclosure.models import Asset, Report

    rng = random.Random(20260501)
    researcher = User.objects.create(username="bench-researcher", email="r@example.org")
    assets = Asset.objects.bulk_create(
        Asset(asset_type="domain", identifier=f"app{n}.example.org") for n in range(size["assets"])
    )
    start = datetime(2025, 1, 1, tzinfo=UTC)
    specs = []
    for _ in range(size["reports"]):
        specs.append(
            (
                rng.randrange(len(assets)),
                rng.choice(RESOURCES),
                rng.choice(ACTIONS),
                rng.choice([1, 2, 3]),
                kind := rng.choice(list(WEAKNESSES)),
                rng.choice(WEAKNESSES[kind]["params"]),
            )
        )
    began = time.perf_counter()
    stored: list[Report] = []
    for number, spec in enumerate(specs):
        text = stored_report(rng, spec)
        moment = start + timedelta(minutes=number)
        report = Report(
            researcher=researcher, asset=assets[spec[0]], is_draft=False, state="new",
            submitted_at=moment, created_at=moment, severity="medium", **text,
        )  # fmt: skip
        stored.append(report)
    Report.objects.bulk_create(stored, batch_size=2000)
    loaded = time.perf_counter() - began
    began = time.perf_counter()
    for offset in range(0, len(stored), 2000):
        index_reports(stored[offset : offset + 2000])
    indexed = time.perf_counter() - began
    print(
        f"{len(stored):,} reports stored in {loaded:.1f} s and indexed in {indexed:.1f} s "
        f"({engine}, {size['assets']} assets)"
    )
    latencies: list[float] = []
    found = 0
    later = start + timedelta(minutes=len(stored) + 10)
    targets = rng.sample(range(len(stored)), size["queries"])
    for count, target in enumerate(targets):
        spec = specs[target]
        duplicate = Report.objects.create(
            researcher=researcher, asset=assets[spec[0]], is_draft=False, state="new",
            submitted_at=later + timedelta(minutes=count), severity="medium",
            **paraphrase(rng, spec),
        )  # fmt: skip
        index_reports([duplicate])
        begin = time.perf_counter()
        suggestions = suggest_duplicates(duplicate)
        latencies.append((time.perf_counter() - begin) * 1000)
        found += stored[target].pk in {s.report_id for s in suggestions}
        # Paraphrases stay stored: later queries search them too, as in a live program.
    recall = found / len(targets)
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {engine})"
    )
    print(
        f"suggest_duplicates over {len(stored):,} reports, {len(targets)} paraphrased queries: "
        f"median {statistics.median(latencies):.1f} ms, p95 {_percentile(latencies, 0.95):.1f} ms "
        f"(goal <= 50), max {max(latencies):.1f} ms; recall@5 {recall:.3f} (goal >= 0.9)"
    )


if __name__ == "__main__":
    main()
