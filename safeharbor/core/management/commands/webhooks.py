"""safeharbor webhooks deliver-due: attempt every pending webhook delivery whose time has come."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safeharbor.core.webhooks import deliver_due_webhooks


class Command(BaseCommand):
    help = "Webhook deliveries: 'deliver-due' attempts every pending delivery that is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=["deliver-due"])
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        count = deliver_due_webhooks(limit=options["limit"])
        self.stdout.write(f"Attempted {count} due deliveries.")
