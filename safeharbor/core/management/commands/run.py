"""`safeharbor run`: the web server and a task worker together, for `make run`. Ctrl-C (or
SIGTERM) stops both and waits for them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server and a task worker together (Ctrl-C stops both)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=settings.SAFEHARBOR_BIND)

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        children = [
            subprocess.Popen([python, "-m", "safeharbor", "serve", "--bind", options["bind"]]),  # noqa: S603
            subprocess.Popen([python, "-m", "safeharbor", "worker"]),  # noqa: S603
        ]
        self.stdout.write(f"Safeharbor is running at http://{options['bind']}/ (Ctrl-C stops it)")
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Stopped the web server and the worker.")
        failed = [c.returncode for c in children if c.returncode not in (0, -signal.SIGTERM)]
        if failed and not stopping:
            sys.exit(1)
