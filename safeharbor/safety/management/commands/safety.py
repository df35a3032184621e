"""``safeharbor safety VERB``: keep the helpline directory correct.

    safeharbor safety import FILE [--skip-bad] [--dry-run] [--format json|csv]
    safeharbor safety export [--format json|csv] [-o FILE]
    safeharbor safety stale [--days 365]

``import`` checks every row and reports every problem; by default a file with any problem
imports nothing. ``stale`` exits with status 1 when entries need checking, so cron can alert.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeharbor.safety import directory_io, services
from safeharbor.safety.models import Organization


class Command(BaseCommand):
    help = "Import, export and list stale entries of the helpline directory."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        load = verbs.add_parser("import", help="Import a JSON or CSV directory file.")
        load.add_argument("file", help="the file to import (.json or .csv)")
        load.add_argument(
            "--skip-bad", action="store_true", help="import the good entries, report the bad ones"
        )
        load.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        load.add_argument("--format", choices=["json", "csv"], help="default: by file name")
        dump = verbs.add_parser("export", help="Write the directory as JSON or CSV.")
        dump.add_argument("--format", choices=["json", "csv"], default="json")
        dump.add_argument("-o", "--output", help="file to write (default: standard output)")
        stale = verbs.add_parser(
            "stale", help="List active entries not verified recently; exit 1 if there are any."
        )
        stale.add_argument("--days", type=int, default=365, help="age limit in days (365)")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['verb']}")(options)

    def handle_import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        known = Organization.objects.values_list("slug", flat=True)
        try:
            parsed = directory_io.parse_file(content, path.name, known, options["format"])
        except directory_io.FileRejected as error:
            raise CommandError(str(error)) from None
        result = services.import_directory(
            parsed, skip_bad=options["skip_bad"], dry_run=options["dry_run"]
        )
        for problem in result.problems:
            self.stderr.write(str(problem))
        self.stdout.write(result.summary())
        if result.rejected:
            raise CommandError(
                f"Nothing was imported: {len(result.problems)} problem(s). Fix them, or run "
                "again with --skip-bad to import the good entries."
            )

    def handle_export(self, options: dict[str, Any]) -> None:
        body = (
            directory_io.export_csv() if options["format"] == "csv" else directory_io.export_json()
        )
        if options["output"]:
            Path(options["output"]).write_text(body, encoding="utf-8")
            self.stdout.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(body, ending="")

    def handle_stale(self, options: dict[str, Any]) -> None:
        if options["days"] < 0:
            raise CommandError("--days must be 0 or more")
        stale = list(services.stale_organizations(days=options["days"]))
        for organization in stale:
            self.stdout.write(
                f"{organization.verified_on.isoformat()}  {organization.slug}  "
                f"{organization.country or '--'}  {organization.name}"
            )
        if stale:
            self.stderr.write(f"{len(stale)} entries not verified in {options['days']} days.")
            sys.exit(1)
        self.stdout.write(f"No active entry is older than {options['days']} days.")
