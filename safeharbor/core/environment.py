"""Typed readers for settings that come from the environment.

Every reader names the variable in its error, says what was expected, and honours a ``NAME_FILE``
variant (the value is read from that file) so secrets can come from Docker or systemd credentials.
Nothing here imports Django: settings.py uses it before Django is configured.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path


class ConfigurationError(ValueError):
    """A variable is missing or malformed. The message names it and what is expected."""


def _raw(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    file_name = environ.get(f"{name}_FILE")
    if file_name:
        if environ.get(name):
            raise ConfigurationError(f"{name} and {name}_FILE are both set; set only one of them.")
        try:
            content = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigurationError(
                f"{name}_FILE points to {file_name!r}, which cannot be read: {error.strerror}."
            ) from error
        if not content:
            raise ConfigurationError(f"{name}_FILE points to {file_name!r}, which is empty.")
        return content
    value = environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = _raw(name)
    if value is None:
        if required or default is None:
            raise ConfigurationError(f"{name} is required but not set.")
        return default
    return value


def env_optional(name: str) -> str | None:
    return _raw(name)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(
        f"{name} must be a boolean (one of true/false, yes/no, on/off, 1/0), got {value!r}."
    )


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {number}.")
    if maximum is not None and number > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum}, got {number}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(
    name: str,
    choices: tuple[str, ...],
    default: str,
    *,
    normalize: Callable[[str], str] | None = None,
) -> str:
    value = _raw(name)
    if value is None:
        return default
    if normalize is not None:
        value = normalize(value)
    if value not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
    return value
