from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server (gunicorn). Put it behind a TLS-terminating reverse proxy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("SAFEHARBOR_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("SAFEHARBOR_WEB_WORKERS", "2"))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("SAFEHARBOR_WEB_THREADS", "4"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.wsgiapp import run

        sys.argv = [
            "gunicorn",
            "safeharbor.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            "--forwarded-allow-ips",
            os.environ.get("SAFEHARBOR_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
        run()
