"""Report intake: POST /api/v1/reports through a real server against PostgreSQL.

Goal (issue: trust & safety operations): >= 1,000 reports/s sustained on a 2-core machine with
p99 <= 100 ms, and no report lost: every 2xx answer is a stored row (checked after the run).
The server is gunicorn with the project's WSGI app in the production profile; the load is wrk
with a Lua script that sends each request with its own Idempotency-Key. One report in five is
about one of 1,000 shared pieces of content, so the "join an open case" path is exercised too.
A throwaway database is created, migrated and dropped.

    python -m bench.report_intake            # smoke size (CI): 5 seconds
    python -m bench.report_intake --full     # 30 seconds
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

WRK_SCRIPT = r"""
local counter = 0
local threads = {}
local token = os.getenv("BENCH_TOKEN")

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  bad = 0
end

request = function()
  counter = counter + 1
  local content
  if counter % 5 == 0 then
    content = "shared-" .. (counter % 1000)
  else
    content = "c-" .. tid .. "-" .. counter
  end
  local body = '{"content_id":"' .. content .. '","category":"hate","content_type":"text",'
    .. '"content_text":"bench report","reporter_id":"r' .. (counter % 7919) .. '",'
    .. '"content_metadata":{"views":' .. counter .. '}}'
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. token
  headers["Idempotency-Key"] = "bench-" .. tid .. "-" .. counter
  return wrk.format("POST", "/api/v1/reports", headers, body)
end

response = function(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end

done = function(summary, latency, requests)
  local total_ok, total_bad = 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("bad")
  end
  io.write(string.format("RESULT ok=%d bad=%d errors=%d seconds=%.3f\n", total_ok, total_bad,
    summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout, summary.duration / 1e6))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("LATENCY p%s=%.2f\n", p, latency:percentile(p) / 1000))
  end
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _psql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="30 s instead of 5 s")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL allowed to create databases",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is needed (apt install wrk)")
    duration = 30 if args.full else 5

    database = f"safeharbor_bench_intake_{os.getpid()}"
    database_url = args.admin_url.rsplit("/", 1)[0] + "/" + database
    workdir = Path(tempfile.mkdtemp(prefix="safeharbor-bench-"))
    port = _free_port()
    env = {
        **os.environ,
        "SAFEHARBOR_ENV": "production",
        "DATABASE_URL": database_url,
        "SAFEHARBOR_SECRET_KEY": secrets.token_urlsafe(60),
        "SAFEHARBOR_ALLOWED_HOSTS": "127.0.0.1",
        "SAFEHARBOR_SITE_URL": f"http://127.0.0.1:{port}",
        "SAFEHARBOR_EMAIL_URL": "console://",
        "SAFEHARBOR_SSL_REDIRECT": "false",
        "SAFEHARBOR_DATA_DIR": str(workdir),
        "SAFEHARBOR_LOG_LEVEL": "WARNING",
    }
    _psql(args.admin_url, f'CREATE DATABASE "{database}"')
    server = None
    try:
        prepare = (
            "import django; django.setup();"
            "from django.core.management import call_command;"
            "call_command('migrate', verbosity=0);"
            "from safeharbor.moderation.reference import load_reference_data;"
            "load_reference_data();"
            "from safeharbor.accounts.services import create_api_key;"
            "key, raw = create_api_key(name='bench', scopes=['reports:write'], actor=None);"
            "print(raw)"
        )
        env["DJANGO_SETTINGS_MODULE"] = "safeharbor.settings"
        token = (
            subprocess.run(
                [sys.executable, "-c", prepare], env=env, check=True, capture_output=True, text=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "safeharbor.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                "--worker-class", "sync", "--backlog", "2048", "--log-level", "warning",
            ],
            env=env,
        )  # fmt: skip
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        script = workdir / "intake.lua"
        script.write_text(WRK_SCRIPT)
        print(
            f"gunicorn {args.workers} sync workers, wrk 2 threads x {args.connections} "
            f"connections, {duration} s, CPUs: {os.cpu_count()} (shared machine: figures vary)"
        )
        run = subprocess.run(
            [
                wrk, "-t2", f"-c{args.connections}", f"-d{duration}s", "--timeout", "5s",
                "-s", str(script), f"http://127.0.0.1:{port}",
            ],
            env={**env, "BENCH_TOKEN": token}, check=True, capture_output=True, text=True,
        )  # fmt: skip
        result = re.search(r"RESULT ok=(\d+) bad=(\d+) errors=(\d+) seconds=([\d.]+)", run.stdout)
        assert result is not None, run.stdout
        ok, bad, errors, seconds = (
            int(result[1]), int(result[2]), int(result[3]), float(result[4])
        )  # fmt: skip
        latencies = dict(re.findall(r"LATENCY (p[\d.]+)=([\d.]+)", run.stdout))
        import psycopg

        with psycopg.connect(database_url) as connection:
            stored = connection.execute("SELECT count(*) FROM moderation_report").fetchone()[0]  # type: ignore[index]
            cases = connection.execute("SELECT count(*) FROM moderation_case").fetchone()[0]  # type: ignore[index]
        rate = ok / seconds
        print(f"reports accepted (2xx): {ok:,}   refused: {bad}   socket errors: {errors}")
        print(f"rows stored: {stored:,} reports in {cases:,} cases")
        print(f"throughput: {rate:,.0f} reports/s   (goal >= 1,000)")
        print(
            "latency ms: "
            + "  ".join(f"{name} {float(value):.1f}" for name, value in latencies.items())
            + "   (goal p99 <= 100)"
        )
        # Requests still in flight when wrk stops may be stored without their answer being
        # counted: stored >= accepted is expected; stored < accepted would be a loss.
        lost = max(0, ok - stored)
        print(f"lost: {lost}  (stored but unanswered when the load stopped: {stored - ok + lost})")
        if lost:
            sys.exit(1)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        _psql(args.admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
