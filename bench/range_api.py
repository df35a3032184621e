"""Benchmark of the HIBP-compatible range server (``safeharbor pwned serve``) against nginx.

    python -m bench.range_api            # smoke size: 256 prefixes, 2-second rounds (about 30 s)
    python -m bench.range_api --full     # 4,096 prefixes, three 10-second rounds each

It writes synthetic per-prefix files exactly as HIBP's downloader does (``SUFFIX:COUNT`` lines,
CRLF, about 1,000 rows a prefix like the real corpus), builds an exact index from them, and
starts, side by side on this machine:

- nginx (the Debian package) serving those files statically (sendfile, no access log), and
- ``safeharbor pwned serve`` over the index (granian, one process per core, the C range body).

Every prefix is fetched from both and compared byte for byte; then wrk (one thread, 32
connections) requests random prefixes of the set from each in alternating rounds, and the median
requests/s of each is reported with their ratio (goal: at least 50% of nginx). wrk, nginx and the
servers share the machine's cores, as they would on a small mirror.

It also times building one range body in-process: the C path and the pure-Python reference.
Needs ``nginx`` and ``wrk`` on the PATH (Debian packages nginx and wrk); .ci/run installs them.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from safeharbor.passwords.breach.build import build_index
from safeharbor.passwords.breach.index import open_index
from safeharbor.passwords.breach.synthetic import heavy_tailed_count

GOAL_RATIO = 0.5
NGINX_CONFIG = """\
worker_processes {workers};
pid {root}/nginx.pid;
daemon off;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type text/plain;
  client_body_temp_path {root}/tmp-body;
  proxy_temp_path {root}/tmp-proxy;
  fastcgi_temp_path {root}/tmp-fastcgi;
  uwsgi_temp_path {root}/tmp-uwsgi;
  scgi_temp_path {root}/tmp-scgi;
  server {{
    listen 127.0.0.1:{port};
    location /range/ {{ alias {root}/files/; try_files $uri.txt =404; }}
  }}
}}
"""
WRK_SCRIPT = """\
math.randomseed({seed})
local prefixes = {{{prefixes}}}
request = function()
  return wrk.format("GET", "/range/" .. prefixes[math.random(#prefixes)])
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_prefix_files(root: Path, prefixes: list[str], rows: int, seed: int) -> int:
    """Per-prefix files as the downloader writes them; returns the number of hashes."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    total = 0
    for prefix in prefixes:
        # Around `rows` rows, varying like real prefixes do.
        size = max(1, int(rng.gauss(rows, rows**0.5)))
        suffixes = sorted({f"{rng.getrandbits(140):035X}" for _ in range(size)})
        lines = [f"{suffix}:{heavy_tailed_count(rng)}" for suffix in suffixes]
        (root / f"{prefix}.txt").write_bytes("\r\n".join(lines).encode())
        total += len(lines)
    return total


def wait_for(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with status {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not listen on port {port} within 30 s")


def fetch(port: int, prefix: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", f"/range/{prefix}")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wrk_rate(port: int, script: Path, seconds: int, connections: int) -> float:
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if match is None or errors:
        raise SystemExit(f"wrk failed against port {port}:\n{result.stdout}{result.stderr}")
    return float(match.group(1))


def body_times_us(path: Path, prefixes: list[str], repeats: int) -> tuple[float, float]:
    fast = open_index(path)
    reference = open_index(path, use_c=False)
    timings: dict[str, list[float]] = {"c": [], "python": []}
    for index, name in ((fast, "c"), (reference, "python")):
        for prefix in prefixes[:repeats]:
            start = time.perf_counter()
            index.range_body(prefix)
            timings[name].append((time.perf_counter() - start) * 1e6)
    fast.close()
    reference.close()
    return statistics.median(timings["c"]), statistics.median(timings["python"])


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run(args: argparse.Namespace) -> int:
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            print(f"{tool} is not installed (Debian package {tool}); .ci/run installs it.")
            return 2
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix_count = args.prefixes or (4096 if args.full else 256)
    seconds = args.seconds or (10 if args.full else 2)
    rounds = args.rounds or (3 if args.full else 1)
    workers = args.workers or os.cpu_count() or 1
    rng = random.Random(args.seed)
    prefixes = sorted(f"{value:05X}" for value in rng.sample(range(1 << 20), prefix_count))
    root = Path(tempfile.mkdtemp(prefix="safeharbor-range-bench-"))
    root.chmod(0o755)  # nginx workers may run as another user
    processes: list[subprocess.Popen[bytes]] = []
    try:
        say = print
        say(f"# range API benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
        started = time.perf_counter()
        hashes = write_prefix_files(root / "files", prefixes, args.rows, args.seed)
        say(
            f"wrote {prefix_count:,} per-prefix files, {hashes:,} hashes "
            f"({hashes / prefix_count:,.0f} rows a prefix) in {time.perf_counter() - started:.1f} s"
        )
        index_path = root / "pwned-sha1.idx"
        build_index(root / "files", index_path, mode="sha1", format="exact")
        for name in ("tmp-body", "tmp-proxy", "tmp-fastcgi", "tmp-uwsgi", "tmp-scgi"):
            (root / name).mkdir()
        nginx_port, serve_port = free_port(), free_port()
        (root / "nginx.conf").write_text(
            NGINX_CONFIG.format(workers=workers, root=root, port=nginx_port)
        )
        processes.append(
            subprocess.Popen(
                [nginx, "-c", str(root / "nginx.conf"), "-p", str(root), "-e", str(root / "e.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        environment = {**os.environ, "SAFEHARBOR_ENV": os.environ.get("SAFEHARBOR_ENV", "test")}
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "safeharbor",
                    "pwned",
                    "serve",
                    "--sha1",
                    str(index_path),
                    "--bind",
                    f"127.0.0.1:{serve_port}",
                    "--workers",
                    str(workers),
                ],
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_for(nginx_port, processes[0], "nginx")
        wait_for(serve_port, processes[1], "safeharbor pwned serve")

        different = []
        for prefix in prefixes:
            ours, theirs = fetch(serve_port, prefix), fetch(nginx_port, prefix)
            if ours != theirs or ours[0] != 200:
                different.append(prefix)
        say(
            f"byte-identical responses: {prefix_count - len(different):,} of {prefix_count:,} "
            "prefixes" + (f" (different: {', '.join(different[:5])})" if different else "")
        )

        script = root / "prefixes.lua"
        script.write_text(
            WRK_SCRIPT.format(seed=args.seed, prefixes=",".join(f'"{p}"' for p in prefixes))
        )
        rates: dict[str, list[float]] = {"nginx": [], "safeharbor": []}
        for round_number in range(rounds):
            for name, port in (("nginx", nginx_port), ("safeharbor", serve_port)):
                rates[name].append(wrk_rate(port, script, seconds, args.connections))
            say(
                f"round {round_number + 1}: nginx {rates['nginx'][-1]:,.0f} req/s, "
                f"safeharbor {rates['safeharbor'][-1]:,.0f} req/s"
            )
        nginx_rate = statistics.median(rates["nginx"])
        our_rate = statistics.median(rates["safeharbor"])
        ratio = our_rate / nginx_rate
        c_us, python_us = body_times_us(index_path, prefixes, min(prefix_count, 500))

        say("")
        say(
            f"| figure ({prefix_count:,} prefixes, {hashes:,} hashes) | safeharbor "
            "| baseline | ratio | goal |"
        )
        say("| --- | --- | --- | --- | --- |")
        say(
            f"| GET /range/{{prefix}}, median req/s ({rounds} x {seconds} s, wrk -t1 "
            f"-c{args.connections}, {workers} workers each) | {our_rate:,.0f} | {nginx_rate:,.0f} "
            f"(nginx, static per-prefix files) | {ratio:.2f} | >= {GOAL_RATIO:.2f} |"
        )
        say(
            f"| range body in-process, median us | {c_us:.1f} (C) | {python_us:.1f} "
            f"(pure-Python reference) | {python_us / c_us:.1f}x faster | - |"
        )
        say("")
        identical = not different
        say(f"goal byte-identical: {'met' if identical else 'NOT met'}")
        say(f"goal throughput >= 50% of nginx: {'met' if ratio >= GOAL_RATIO else 'NOT met'}")
        return 0 if identical else 1
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM if process is processes[-1] else signal.SIGQUIT)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="4,096 prefixes, 3 x 10 s rounds")
    parser.add_argument("--prefixes", type=int, help="number of prefixes served")
    parser.add_argument("--rows", type=int, default=1000, help="rows a prefix (HIBP: about 1,000)")
    parser.add_argument("--seconds", type=int, help="length of one wrk round")
    parser.add_argument("--rounds", type=int, help="rounds for each server")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--workers", type=int, help="processes of each server (default: cores)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
