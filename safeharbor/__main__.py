"""The `safeharbor` command: Django's management commands, with configuration errors reported as
one clear line instead of a traceback."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeharbor.settings")
    from safeharbor.core.environment import ConfigurationError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ConfigurationError as error:
        sys.stderr.write(f"safeharbor: configuration error: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
