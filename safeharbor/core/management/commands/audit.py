from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeharbor.core.audit import verify_audit_chain


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` proves the hash chain is intact."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_audit_chain()
        if not report.ok:
            raise CommandError(
                f"audit log BROKEN at row #{report.broken_sequence}: {report.reason} "
                f"({report.checked} rows before it are intact)"
            )
        self.stdout.write(f"audit log OK: {report.checked} rows, chain intact")
