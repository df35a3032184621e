from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from safeharbor.accounts.services import ensure_roles


class Command(BaseCommand):
    help = (
        "Prepare an installation: apply migrations, collect static files, create the staff roles "
        "and load each module's reference data. Safe to run on every start and upgrade."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-static", action="store_true", help="Skip collectstatic.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        if not options["no_static"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        ensure_roles()
        for config in apps.get_app_configs():
            loader = getattr(config, "load_reference_data", None)
            if loader is not None:
                self.stdout.write(f"Loading reference data of {config.verbose_name}…")
                loader()
        self.stdout.write(f"Ready: database {settings.DATABASES['default']['NAME']}")
