from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Run a background task worker for the configured backend: the database backend "
        "(django-tasks-db) by default, or RQ workers on Redis with SAFEHARBOR_TASK_BACKEND=redis."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--burst", action="store_true", help="Run the waiting tasks, then stop."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = settings.TASK_BACKEND
        if backend == "database":
            extra = ["--batch"] if options["burst"] else []
            call_command("db_worker", *extra, "--queue-name", "default")
        elif backend == "redis":
            extra = ["--burst"] if options["burst"] else []
            call_command("rqworker", "default", "--job-class", "django_tasks_rq.Job", *extra)
        else:
            raise CommandError(
                "SAFEHARBOR_TASK_BACKEND=immediate runs tasks inside the web process; "
                "there is nothing for a worker to do."
            )
