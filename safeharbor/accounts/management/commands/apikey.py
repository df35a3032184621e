from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeharbor.accounts.models import APIKey
from safeharbor.accounts.scopes import known_scopes
from safeharbor.accounts.services import AccountError, create_api_key, revoke_api_key


class Command(BaseCommand):
    help = "Manage API keys: create NAME --scope S [--scope S…], list, revoke NAME, scopes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key and print it once.")
        create.add_argument("name")
        create.add_argument(
            "--scope",
            action="append",
            default=[],
            dest="scopes",
            help="A scope the key may use; repeat for more.",
        )
        sub.add_parser("list", help="List keys (never their secrets).")
        revoke = sub.add_parser("revoke", help="Revoke a key by name.")
        revoke.add_argument("name")
        sub.add_parser("scopes", help="List the scopes a key can have.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            try:
                key, raw = create_api_key(
                    name=options["name"], scopes=options["scopes"], actor=None
                )
            except AccountError as error:
                raise CommandError(str(error)) from None
            self.stderr.write(f"Created API key {key.name!r} with scopes {', '.join(key.scopes)}.")
            self.stderr.write("This is the only time the key is shown; store it now:")
            self.stdout.write(raw)
        elif action == "list":
            for key in APIKey.objects.order_by("name"):
                state = "revoked" if key.revoked_at else "active"
                used = key.last_used_at.isoformat() if key.last_used_at else "never"
                scopes = ",".join(key.scopes)
                self.stdout.write(
                    f"{key.name}\t{state}\tshk_{key.prefix}_…\t{scopes}\tlast used {used}"
                )
        elif action == "revoke":
            found = APIKey.objects.filter(name=options["name"]).first()
            if found is None:
                raise CommandError(f"There is no API key named {options['name']!r}.")
            revoke_api_key(found, actor=None)
            self.stdout.write(f"Revoked {found.name!r}.")
        else:
            for scope, description in known_scopes().items():
                self.stdout.write(f"{scope}\t{description}")
