"""``safeharbor pwned VERB``: offline Have I Been Pwned (Pwned Passwords) indexes.

    safeharbor pwned build SOURCE --output FILE [--mode sha1|ntlm] [--format exact|compact]
                           [--skip-bad] [--resume] [--fingerprint-bits N]
    safeharbor pwned info FILE [--verify]
    safeharbor pwned serve [--sha1 FILE] [--ntlm FILE] [--bind HOST:PORT] [--workers N]

SOURCE is the output of HIBP's PwnedPasswordsDownloader: one sorted ``HASH:COUNT`` file, or a
directory of per-prefix ``XXXXX.txt`` files. docs/breached-passwords.md describes the formats.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from safeharbor.passwords.breach.build import build_index
from safeharbor.passwords.breach.formats import IndexFormatError
from safeharbor.passwords.breach.index import open_index
from safeharbor.passwords.breach.problems import BuildError

_MODE_NAMES = {"sha1": "SHA-1", "ntlm": "NTLM"}


class _ProgressStream:
    """Lets the build's carriage-return progress line through Django's stderr wrapper as is."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=str, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = "Build (build) and describe (info) offline Have I Been Pwned password indexes."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        build = verbs.add_parser(
            "build",
            help="Build an index from the HIBP downloader's output.",
            description="Build an index file from the output of HIBP's PwnedPasswordsDownloader.",
        )
        build.add_argument("source", help="a sorted HASH:COUNT file or a per-prefix directory")
        build.add_argument("--output", required=True, help="the index file to write")
        build.add_argument("--mode", choices=["sha1", "ntlm"], default="sha1")
        build.add_argument(
            "--format",
            choices=["exact", "compact"],
            default="exact",
            help="exact: every hash bit and count (serves range requests); "
            "compact: 64-bit fingerprints and approximate counts, about 5.5 bytes a hash",
        )
        build.add_argument(
            "--skip-bad", action="store_true", help="skip malformed lines and list them at the end"
        )
        build.add_argument(
            "--resume", action="store_true", help="continue an interrupted build of --output"
        )
        build.add_argument(
            "--fingerprint-bits",
            type=int,
            help="compact only: bits kept per hash (multiple of 8, default 64)",
        )
        build.add_argument(
            "--engine", choices=["auto", "numpy", "python"], default="auto", help="encoder"
        )
        build.add_argument(
            "--show", type=int, default=20, help="malformed lines listed with --skip-bad"
        )
        build.add_argument("--quiet", action="store_true", help="no progress line")
        info = verbs.add_parser("info", help="Describe an index file.")
        info.add_argument("index")
        info.add_argument(
            "--verify", action="store_true", help="read the whole file and check its checksum"
        )
        serve = verbs.add_parser(
            "serve",
            help="Serve GET /range/{prefix} alone, fast, for a Pwned Passwords mirror.",
            description="A standalone HIBP-compatible range server (no Django, one process per "
            "core) over exact indexes; the responses are those of the app's own /range/.",
        )
        serve.add_argument(
            "--sha1", help="exact SHA-1 index (default: SAFEHARBOR_PWNED_INDEX)", default=None
        )
        serve.add_argument(
            "--ntlm", help="exact NTLM index (default: SAFEHARBOR_PWNED_NTLM_INDEX)", default=None
        )
        serve.add_argument("--bind", default="127.0.0.1:8001", help="HOST:PORT to listen on")
        serve.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1, help="processes (default: cores)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "build":
            self.build(options)
        elif options["verb"] == "serve":
            self.serve(options)
        else:
            self.info(options)

    def serve(self, options: dict[str, Any]) -> None:
        from granian import Granian
        from granian.constants import Interfaces
        from granian.log import LogLevels

        from safeharbor.passwords.range_server import ENVIRONMENT

        host, _, port = options["bind"].rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise CommandError(
                f"--bind must be HOST:PORT, such as 127.0.0.1:8001, not {options['bind']!r}"
            )
        if not 1 <= options["workers"] <= 256:
            raise CommandError("--workers must be between 1 and 256")
        paths = {
            "sha1": options["sha1"] or getattr(settings, "SAFEHARBOR_PWNED_INDEX", None),
            "ntlm": options["ntlm"] or getattr(settings, "SAFEHARBOR_PWNED_NTLM_INDEX", None),
        }
        served = []
        for mode, path in paths.items():
            if not path:
                continue
            try:
                with open_index(path) as index:
                    if index.mode != mode or index.format != "exact":
                        raise CommandError(
                            f"{path} is a {index.format} {_MODE_NAMES[index.mode]} index; "
                            f"--{mode} needs an exact {_MODE_NAMES[mode]} index"
                        )
                    served.append(f"{_MODE_NAMES[mode]} {index.hash_count:,} hashes ({path})")
            except IndexFormatError as error:
                raise CommandError(str(error)) from None
            os.environ[ENVIRONMENT[mode]] = str(path)
        if not served:
            raise CommandError(
                "Nothing to serve: name an exact index with --sha1 or --ntlm (or set "
                "SAFEHARBOR_PWNED_INDEX / SAFEHARBOR_PWNED_NTLM_INDEX)."
            )
        self.stdout.write(
            f"Serving GET /range/{{prefix}} at http://{host}:{port} with {options['workers']} "
            f"worker(s): {'; '.join(served)}"
        )
        Granian(
            "safeharbor.passwords.range_server:create_app",
            address=host.strip("[]"),
            port=int(port),
            interface=Interfaces.WSGI,
            workers=options["workers"],
            # One Python thread a worker: the GIL serializes the app anyway, and more threads
            # only add switching; the Rust runtime keeps the connections.
            blocking_threads=1,
            factory=True,
            log_level=LogLevels.warning,
        ).serve()

    def build(self, options: dict[str, Any]) -> None:
        progress = None
        if not options["quiet"] and options["verbosity"] > 0:
            progress = _ProgressStream(self.stderr)
        try:
            report = build_index(
                options["source"],
                options["output"],
                mode=options["mode"],
                format=options["format"],
                skip_bad=options["skip_bad"],
                resume=options["resume"],
                fingerprint_bits=options["fingerprint_bits"],
                engine=options["engine"],
                progress=progress,
                keep_problems=options["show"],
            )
        except BuildError as error:
            raise CommandError(str(error)) from None
        except KeyboardInterrupt:
            raise CommandError(
                f"interrupted; the work so far is kept in {options['output']}.build: run the "
                "same command with --resume to continue"
            ) from None
        rate = report.hashes_per_second
        self.stdout.write(
            f"Built {report.output}: {report.hash_count:,} {_MODE_NAMES[report.mode]} hashes, "
            f"{report.format} format, {report.file_size:,} bytes "
            f"({report.bytes_per_hash:.2f} bytes/hash), in {report.seconds:.1f} s "
            f"({rate / 1e6:.2f}M hashes/s{', resumed' if report.resumed else ''})."
        )
        if report.missing_prefix_files:
            self.stdout.write(
                f"{report.missing_prefix_files:,} of the 1,048,576 per-prefix files are missing: "
                "those prefixes are empty in the index."
            )
        if report.skipped:
            listed = report.problems
            self.stdout.write(
                f"Skipped {report.skipped:,} malformed line{'s' if report.skipped != 1 else ''}"
                + (f"; the first {len(listed)}:" if len(listed) < report.skipped else ":")
            )
            for problem in listed:
                self.stdout.write(f"  {problem}")

    def info(self, options: dict[str, Any]) -> None:
        try:
            index = open_index(options["index"])
        except IndexFormatError as error:
            raise CommandError(str(error)) from None
        with index:
            header = index.header
            layout = header.layout
            if index.format == "exact":
                kind = "exact (every hash bit, exact counts; answers range requests)"
            else:
                kind = (
                    f"compact ({index.fingerprint_bits}-bit fingerprints, counts rounded down "
                    "to a power of two)"
                )
            lines = [
                str(index.path),
                f"  format: {kind}",
                f"  mode: {_MODE_NAMES[index.mode]}",
                f"  hashes: {index.hash_count:,} ({index.record_count:,} records)",
                f"  size: {index.file_size:,} bytes ({index.bytes_per_hash:.2f} bytes/hash)",
                f"  layout: {layout.record_size}-byte records, "
                f"{layout.sub_bucket_bits} sub-bucket bits, largest bucket "
                f"{header.largest_bucket:,} records, {header.escape_count:,} counts above 15",
            ]
            if index.format == "compact":
                lines.append(
                    f"  false positives: {index.false_positive_rate:.2g} per lookup of an "
                    "absent hash"
                )
            if options["verify"]:
                try:
                    index.verify()
                except IndexFormatError as error:
                    raise CommandError(str(error)) from None
                lines.append("  checksum: verified")
            else:
                lines.append("  checksum: header only (add --verify to check the data)")
            for line in lines:
                self.stdout.write(line)
