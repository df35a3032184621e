"""``safeharbor vdp VERB``: the disclosure program's maintenance.

safeharbor vdp close-stale                      close reports left in Needs more info 30 days
safeharbor vdp disclose-due                     disclose reports whose disclosure timer ran out
safeharbor vdp reindex-duplicates               rebuild the duplicate-suggestion index
safeharbor vdp load-cwe                         (re)load the CWE entries the project ships
safeharbor vdp import-vrt VRT_JSON [--cwe CWE_JSON]   import Bugcrowd's VRT and CWE mapping
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeharbor.disclosure.duplicates import index_reports
from safeharbor.disclosure.models import Report
from safeharbor.disclosure.services import close_stale_reports, disclose_due_reports
from safeharbor.disclosure.taxonomy import TaxonomyError, import_vrt, load_cwe_catalog


class Command(BaseCommand):
    help = "Maintain the vulnerability disclosure program."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        verbs.add_parser("close-stale", help="Close reports waiting 30 days for more information.")
        verbs.add_parser("disclose-due", help="Disclose reports whose timer ran out.")
        verbs.add_parser("reindex-duplicates", help="Rebuild the duplicate-suggestion index.")
        verbs.add_parser("load-cwe", help="Load the shipped CWE entries.")
        vrt = verbs.add_parser("import-vrt", help="Import Bugcrowd's VRT JSON.")
        vrt.add_argument("vrt", type=Path, help="vulnerability-rating-taxonomy.json")
        vrt.add_argument("--cwe", type=Path, help="the VRT's cwe.json mapping")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "close-stale":
            closed = close_stale_reports()
            self.stdout.write(f"Closed {len(closed)} report(s) as Informative.")
        elif verb == "disclose-due":
            disclosed = disclose_due_reports()
            self.stdout.write(f"Disclosed {len(disclosed)} report(s).")
        elif verb == "reindex-duplicates":
            total = 0
            reports = Report.objects.filter(is_draft=False).order_by("pk")
            for start in range(0, reports.count(), 2000):
                total += index_reports(reports[start : start + 2000])
            self.stdout.write(f"Indexed {total} report(s) for duplicate suggestions.")
        elif verb == "load-cwe":
            result = load_cwe_catalog()
            self.stdout.write(f"CWE entries: {result.created} added, {result.updated} updated.")
        elif verb == "import-vrt":
            try:
                result = import_vrt(options["vrt"], options["cwe"])
            except TaxonomyError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(
                f"VRT entries: {result.created} added, {result.updated} updated, "
                f"{result.deactivated} deactivated."
            )
