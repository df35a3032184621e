"""``safeharbor vdp VERB``: the disclosure program's maintenance.

safeharbor vdp close-stale                      close reports left in Needs more info 30 days
safeharbor vdp load-cwe                         (re)load the CWE entries the project ships
safeharbor vdp import-vrt VRT_JSON [--cwe CWE_JSON]   import Bugcrowd's VRT and CWE mapping
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeharbor.disclosure.services import close_stale_reports
from safeharbor.disclosure.taxonomy import TaxonomyError, import_vrt, load_cwe_catalog


class Command(BaseCommand):
    help = "Maintain the vulnerability disclosure program."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        verbs.add_parser("close-stale", help="Close reports waiting 30 days for more information.")
        verbs.add_parser("load-cwe", help="Load the shipped CWE entries.")
        vrt = verbs.add_parser("import-vrt", help="Import Bugcrowd's VRT JSON.")
        vrt.add_argument("vrt", type=Path, help="vulnerability-rating-taxonomy.json")
        vrt.add_argument("--cwe", type=Path, help="the VRT's cwe.json mapping")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "close-stale":
            closed = close_stale_reports()
            self.stdout.write(f"Closed {len(closed)} report(s) as Informative.")
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
