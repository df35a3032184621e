from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server (gunicorn). Put it behind a TLS-terminating reverse proxy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=settings.SAFEHARBOR_BIND)
        parser.add_argument("--workers", type=int, default=settings.SAFEHARBOR_WEB_WORKERS)
        parser.add_argument("--threads", type=int, default=settings.SAFEHARBOR_WEB_THREADS)

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
            "--no-control-socket",
            "--graceful-timeout",
            "10",
            "--forwarded-allow-ips",
            settings.SAFEHARBOR_FORWARDED_ALLOW_IPS,
        ]
        run()
