#!/usr/bin/env python
"""Django's command-line utility; `safeharbor` is the same with a friendlier name."""

from safeharbor.__main__ import main

if __name__ == "__main__":
    main()
