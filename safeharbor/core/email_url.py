"""Parse SAFEHARBOR_EMAIL_URL (smtp://, smtp+tls://, smtps://, console://) into Django settings."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from safeharbor.core.environment import ConfigurationError

_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_SCHEMES = {
    "smtp": (_SMTP, False, False, 25),
    "smtp+tls": (_SMTP, True, False, 587),
    "smtps": (_SMTP, False, True, 465),
    "console": ("django.core.mail.backends.console.EmailBackend", False, False, 0),
}


@dataclass(frozen=True)
class EmailSettings:
    backend: str
    host: str
    port: int
    user: str
    password: str
    use_tls: bool
    use_ssl: bool


def parse_email_url(url: str, variable: str) -> EmailSettings:
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ConfigurationError(
            f"{variable} must start with one of {', '.join(s + '://' for s in _SCHEMES)}; "
            f"got {parts.scheme or 'no scheme'!r}."
        )
    backend, use_tls, use_ssl, default_port = _SCHEMES[parts.scheme]
    if parts.scheme != "console" and not parts.hostname:
        raise ConfigurationError(f"{variable} names no mail server host.")
    try:
        port = parts.port or default_port
    except ValueError:
        raise ConfigurationError(f"{variable} has a port that is not a number.") from None
    return EmailSettings(
        backend=backend,
        host=parts.hostname or "",
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )
