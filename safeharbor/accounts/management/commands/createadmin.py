from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeharbor.accounts.models import User
from safeharbor.accounts.services import AccountError, create_admin


class Command(BaseCommand):
    help = (
        "Create an administrator. With --if-none, only when no administrator exists yet. The "
        "password comes from SAFEHARBOR_ADMIN_PASSWORD or is generated and printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@localhost")
        parser.add_argument(
            "--if-none",
            action="store_true",
            help="Do nothing when an administrator exists already.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_none"] and User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator exists already; none created.")
            return
        configured: str | None = settings.SAFEHARBOR_ADMIN_PASSWORD
        generated = configured is None
        password = configured or secrets.token_urlsafe(18)
        candidate = User(username=options["username"], email=options["email"])
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError(
                "SAFEHARBOR_ADMIN_PASSWORD is refused: " + " ".join(error.messages)
            ) from None
        try:
            create_admin(options["username"], options["email"], password)
        except AccountError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Administrator {options['username']!r} created."))
        if generated:
            self.stdout.write(
                f"Password (shown once, store it in your password manager): {password}\n"
                "At first sign-in you will set up an authenticator app (two-factor authentication)."
            )
