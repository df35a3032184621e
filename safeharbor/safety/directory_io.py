"""Reading, checking and writing the directory as JSON and CSV.

JSON has the shape of the shipped ``data/directory.json``::

    {"format": "safeharbor-directory/1",
     "organizations": [{"slug": ..., "contacts": [{...}, ...]}, ...],
     "emergency_numbers": [{"country": "US", "general": "911", ...}, ...]}

CSV has one row per contact method: the organisation's columns repeat on each of its rows (an
organisation without contacts has one row with empty contact columns). Lists are joined with
``|``; summaries and labels have one column per language (``summary_en``, ``label_es``); opening
hours are ``DAYS HH:MM-HH:MM`` intervals joined with ``;`` (Monday = 0), e.g.
``0,1,2,3,4 09:00-17:00; 5 10:00-14:00``. Emergency numbers travel in JSON only.

Every row is checked and every problem is reported (file, row, field, what is wrong); nothing
here writes to the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from safeharbor.safety.models import ContactMethod, EmergencyNumber, Organization, Population, Topic

FORMAT = "safeharbor-directory/1"
MAX_IMPORT_BYTES = 5 * 1024 * 1024
SHORT_CODE = re.compile(r"^[0-9]{3,8}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

ORGANIZATION_COLUMNS = [
    "slug",
    "name",
    "kind",
    "country",
    "subdivision",
    "website",
    "topics",
    "populations",
    "languages",
    "priority",
    "pairing_group",
    "cost",
    "anonymity",
    "sources",
    "verified_on",
    "status",
    "replaced_by",
    "notes",
]
CONTACT_COLUMNS = [
    "contact_kind",
    "contact_value",
    "contact_display",
    "contact_sms_keyword",
    "contact_always_open",
    "contact_timezone",
    "contact_hours",
    "contact_languages",
]
LANGUAGE_COLUMNS = ("en", "es")


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row: where (file, row), which field, what."""

    file: str
    row: str
    field: str
    message: str
    slug: str = ""

    def __str__(self) -> str:
        return f"{self.file}: {self.row}: {self.field}: {self.message}"


@dataclass
class ParsedDirectory:
    file: str
    organizations: list[dict[str, Any]] = field(default_factory=list)
    emergency_numbers: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    # Slugs (and emergency-number countries) with at least one problem: skipped whole.
    bad_slugs: set[str] = field(default_factory=set)
    bad_countries: set[str] = field(default_factory=set)
    rows_read: int = 0

    @property
    def good_organizations(self) -> list[dict[str, Any]]:
        return [o for o in self.organizations if o["slug"] not in self.bad_slugs]

    @property
    def good_emergency_numbers(self) -> list[dict[str, Any]]:
        return [e for e in self.emergency_numbers if e["country"] not in self.bad_countries]


class FileRejected(Exception):
    """The file as a whole cannot be read (not JSON/CSV, wrong format, missing columns)."""


# Field checks. Each returns the cleaned value or raises ValueError with a message for people.


def clean_country(value: str, *, allow_blank: bool) -> str:
    code = (value or "").strip().upper()
    if not code:
        if allow_blank:
            return ""
        raise ValueError("required: an ISO 3166-1 alpha-2 code such as US")
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def clean_subdivision(value: str, country: str) -> str:
    code = (value or "").strip().upper()
    if not code:
        return ""
    subdivision = pycountry.subdivisions.get(code=code)
    if subdivision is None:
        raise ValueError(f"{value!r} is not an ISO 3166-2 subdivision code such as US-CA")
    if subdivision.country_code != country:
        raise ValueError(f"{code} is not in country {country or '(none)'}")
    return code


def clean_language(tag: str) -> str:
    """A BCP-47 tag of a known ISO 639 language and an optional known region: es, es-MX, en-GB."""
    parts = (tag or "").strip().replace("_", "-").split("-")
    primary = parts[0].lower()
    if not primary or len(primary) not in (2, 3) or not primary.isalpha():
        raise ValueError(f"{tag!r} is not a BCP-47 language tag such as en or es-MX")
    known = (
        pycountry.languages.get(alpha_2=primary)
        if len(primary) == 2
        else pycountry.languages.get(alpha_3=primary)
    )
    if known is None:
        raise ValueError(f"{primary!r} is not an ISO 639 language")
    cleaned = [primary]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            if pycountry.countries.get(alpha_2=part.upper()) is None:
                raise ValueError(f"{part!r} in {tag!r} is not a known region")
            cleaned.append(part.upper())
        elif len(part) == 4 and part.isalpha():  # script: Latn, Cyrl
            cleaned.append(part.title())
        elif len(part) == 3 and part.isdigit():  # UN M.49 region: 419
            cleaned.append(part)
        else:
            raise ValueError(f"{part!r} in {tag!r} is not a region or script subtag")
    return "-".join(cleaned)


def clean_phone(value: str, country: str) -> str:
    """E.164 for full numbers (checked with phonenumbers for the country); short codes as digits."""
    text = (value or "").strip()
    if not text:
        raise ValueError("required")
    compact = re.sub(r"[\s().-]", "", text)
    # Dial strings (988, 741741, 116123, 024, 13 11 14) are dialled as they are: digits only,
    # 3 to 8 long. Anything longer, or written with +, is a full number checked for the country.
    if SHORT_CODE.match(compact):
        return compact
    try:
        number = phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException:
        raise ValueError(
            f"{text!r} is not a phone number for {country or 'an international entry'} "
            "(give +<country code><number>, a national number, or a 3-8 digit short code)"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid number for {country or 'its country code'}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_https_url(value: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValueError("required: an https:// address")
        return ""
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.netloc or " " in text:
        raise ValueError(f"{text!r} is not an https:// address")
    return text


def clean_timezone(value: str) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r} is not an IANA time zone such as America/New_York") from None
    return text


def clean_hours(value: Any) -> list[dict[str, Any]]:
    if value in (None, "", []):
        return []
    if not isinstance(value, list):
        raise ValueError("must be a list of {days, open, close}")
    cleaned = []
    for position, interval in enumerate(value):
        where = f"interval {position + 1}"
        if not isinstance(interval, dict) or set(interval) != {"days", "open", "close"}:
            raise ValueError(f"{where}: needs exactly days, open and close")
        days = interval["days"]
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and 0 <= d <= 6 for d in days)
        ):
            raise ValueError(f"{where}: days must be a non-empty list of 0 (Monday) to 6")
        for key in ("open", "close"):
            if not isinstance(interval[key], str) or not CLOCK.match(interval[key]):
                raise ValueError(f"{where}: {key} must be HH:MM, not {interval[key]!r}")
        cleaned.append(
            {"days": sorted(set(days)), "open": interval["open"], "close": interval["close"]}
        )
    return cleaned


def clean_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def clean_choice(value: Any, choices: Iterable[str], what: str) -> str:
    allowed = list(choices)
    if value not in allowed:
        raise ValueError(f"{value!r} is not a known {what}; use one of: {', '.join(allowed)}")
    return str(value)


def clean_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0", ""):
        return False
    raise ValueError(f"{value!r} is not true or false")


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return value
    raise ValueError("must be a list")


def _text(value: Any, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("must be text")
    text = value.strip()
    if required and not text:
        raise ValueError("required")
    if len(text) > limit:
        raise ValueError(f"longer than {limit} characters")
    return text


class _Checker:
    """Collects problems for one row while cleaning its fields."""

    def __init__(self, parsed: ParsedDirectory, row: str, slug: str = "") -> None:
        self.parsed = parsed
        self.row = row
        self.slug = slug
        self.failed = False

    def check(self, name: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ValueError as error:
            self.problem(name, str(error))
            return None

    def problem(self, name: str, message: str) -> None:
        self.failed = True
        self.parsed.problems.append(
            RowProblem(self.parsed.file, self.row, name, message, self.slug)
        )


def _clean_organization(
    parsed: ParsedDirectory, raw: Any, row: str, contact_rows: list[tuple[str, Any]]
) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        parsed.problems.append(RowProblem(parsed.file, row, "-", "must be an object"))
        return None
    slug = str(raw.get("slug") or "").strip()
    checker = _Checker(parsed, row, slug)
    if not SLUG.match(slug) or len(slug) > 80:
        checker.problem("slug", f"{slug!r} is not a slug (lowercase letters, digits, hyphens)")
    country = checker.check("country", clean_country, raw.get("country", ""), allow_blank=True)
    summary = raw.get("summary") or {}
    if not isinstance(summary, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in summary.items()
    ):
        checker.problem("summary", "must map language tags to text")
        summary = {}
    else:
        for tag in summary:
            checker.check("summary", clean_language, tag)
        if not summary.get("en"):
            checker.problem("summary", "an English summary (summary.en) is required")
    sources = checker.check("sources", _as_list, raw.get("sources")) or []
    cleaned_sources = [checker.check("sources", clean_https_url, s) for s in sources]
    if not sources:
        checker.problem("sources", "at least one https:// source address is required")
    status = checker.check("status", clean_choice, raw.get("status") or "active",
                           Organization.Status.values, "status")  # fmt: skip
    replaced_by = _text_or_problem(checker, "replaced_by", raw.get("replaced_by"), 80)
    if status == Organization.Status.REPLACED and not replaced_by:
        checker.problem("replaced_by", "a replaced entry must name the slug of its replacement")
    record = {
        "slug": slug,
        "name": _text_or_problem(checker, "name", raw.get("name"), 200, required=True),
        "kind": checker.check(
            "kind", clean_choice, raw.get("kind"), Organization.Kind.values, "kind"
        ),
        "summary": {k: v.strip() for k, v in summary.items() if v.strip()},
        "website": checker.check(
            "website", clean_https_url, raw.get("website", ""), required=False
        ),
        "country": country or "",
        "subdivision": checker.check(
            "subdivision", clean_subdivision, raw.get("subdivision", ""), country or ""
        ),
        "topics": [
            checker.check("topics", clean_choice, t, Topic.values, "topic")
            for t in checker.check("topics", _as_list, raw.get("topics")) or []
        ],
        "populations": [
            checker.check("populations", clean_choice, p, Population.values, "population")
            for p in checker.check("populations", _as_list, raw.get("populations")) or []
        ],
        "languages": [
            checker.check("languages", clean_language, tag)
            for tag in checker.check("languages", _as_list, raw.get("languages")) or []
        ],
        "priority": checker.check("priority", clean_bool, raw.get("priority", False)),
        "pairing_group": _text_or_problem(checker, "pairing_group", raw.get("pairing_group"), 80),
        "cost": checker.check(
            "cost", clean_choice, raw.get("cost") or "unknown", Organization.Cost.values, "cost"
        ),
        "anonymity": checker.check(
            "anonymity",
            clean_choice,
            raw.get("anonymity") or "unknown",
            Organization.Anonymity.values,
            "anonymity",
        ),
        "sources": cleaned_sources,
        "verified_on": checker.check("verified_on", clean_date, raw.get("verified_on")),
        "status": status,
        "replaced_by": replaced_by or "",
        "notes": _text_or_problem(checker, "notes", raw.get("notes"), 5000),
        "contacts": [],
    }
    if record["pairing_group"] and not SLUG.match(record["pairing_group"]):
        checker.problem("pairing_group", "must be a slug")
    for position, (contact_row, contact) in enumerate(contact_rows):
        cleaned = _clean_contact(parsed, contact, contact_row, slug, country or "", position)
        if cleaned is None:
            checker.failed = True
        else:
            record["contacts"].append(cleaned)
    if checker.failed:
        parsed.bad_slugs.add(slug)
    return record


def _text_or_problem(
    checker: _Checker, name: str, value: Any, limit: int, *, required: bool = False
) -> str:
    return checker.check(name, _text, value, limit, required=required) or ""


def _clean_contact(
    parsed: ParsedDirectory, raw: Any, row: str, slug: str, country: str, position: int
) -> dict[str, Any] | None:
    checker = _Checker(parsed, row, slug)
    if not isinstance(raw, dict):
        checker.problem("contact", "must be an object")
        return None
    kind = checker.check(
        "contact.kind", clean_choice, raw.get("kind"), ContactMethod.Kind.values, "contact kind"
    )
    value = raw.get("value") or ""
    if kind in (ContactMethod.Kind.PHONE, ContactMethod.Kind.SMS, ContactMethod.Kind.WHATSAPP):
        value = checker.check("contact.value", clean_phone, value, country)
    elif kind in (ContactMethod.Kind.CHAT, ContactMethod.Kind.WEB_FORM):
        value = checker.check("contact.value", clean_https_url, value)
    elif kind == ContactMethod.Kind.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            checker.problem("contact.value", f"{value!r} is not an email address")
    label = raw.get("label") or {}
    if not isinstance(label, dict) or not all(isinstance(v, str) for v in label.values()):
        checker.problem("contact.label", "must map language tags to text")
        label = {}
    timezone_name = checker.check("contact.timezone", clean_timezone, raw.get("timezone", ""))
    hours = checker.check("contact.hours", clean_hours, raw.get("hours"))
    always_open = checker.check("contact.always_open", clean_bool, raw.get("always_open", False))
    if hours and not timezone_name:
        checker.problem("contact.timezone", "opening hours need an IANA time zone")
    if always_open and hours:
        checker.problem("contact.hours", "a contact open around the clock has no hours")
    record = {
        "kind": kind,
        "value": value,
        "display": _text_or_problem(checker, "contact.display", raw.get("display"), 100),
        "sms_keyword": _text_or_problem(checker, "contact.sms_keyword", raw.get("sms_keyword"), 40),
        "label": {k: v.strip() for k, v in label.items() if v.strip()},
        "always_open": bool(always_open),
        "timezone": timezone_name or "",
        "hours": hours or [],
        "languages": [
            checker.check("contact.languages", clean_language, tag)
            for tag in checker.check("contact.languages", _as_list, raw.get("languages")) or []
        ],
        "order": position,
    }
    return None if checker.failed else record


def _clean_emergency(parsed: ParsedDirectory, raw: Any, row: str) -> dict[str, Any] | None:
    checker = _Checker(parsed, row)
    if not isinstance(raw, dict):
        checker.problem("-", "must be an object")
        return None
    country = checker.check("country", clean_country, raw.get("country", ""), allow_blank=False)
    record: dict[str, Any] = {"country": country or str(raw.get("country", ""))}
    for name in ("general", "police", "ambulance", "fire"):
        number = str(raw.get(name) or "").strip()
        if number and not SHORT_CODE.match(number):
            checker.problem(name, f"{number!r} is not a 3-8 digit number")
        record[name] = number
    if not any(record[name] for name in ("general", "police", "ambulance", "fire")):
        checker.problem("general", "at least one number is required")
    sources = checker.check("sources", _as_list, raw.get("sources")) or []
    if not sources:
        checker.problem("sources", "at least one https:// source address is required")
    record["sources"] = [checker.check("sources", clean_https_url, s) for s in sources]
    record["verified_on"] = checker.check("verified_on", clean_date, raw.get("verified_on"))
    if checker.failed:
        parsed.bad_countries.add(record["country"])
    return record


def _check_references(parsed: ParsedDirectory, known_slugs: Iterable[str]) -> None:
    slugs = {o["slug"] for o in parsed.organizations}
    seen: set[str] = set()
    for record in parsed.organizations:
        if record["slug"] in seen:
            parsed.problems.append(
                RowProblem(parsed.file, record["_row"], "slug", "appears twice", record["slug"])
            )
            parsed.bad_slugs.add(record["slug"])
        seen.add(record["slug"])
    everything = slugs | set(known_slugs)
    for record in parsed.organizations:
        target = record["replaced_by"]
        if target and (target not in everything or target == record["slug"]):
            parsed.problems.append(
                RowProblem(
                    parsed.file,
                    record["_row"],
                    "replaced_by",
                    f"{target!r} is not another entry of the directory",
                    record["slug"],
                )
            )
            parsed.bad_slugs.add(record["slug"])


def parse_json(
    content: bytes | str, file: str = "directory.json", known_slugs: Iterable[str] = ()
) -> ParsedDirectory:
    """Read and check a JSON directory; raises FileRejected if it is not one at all."""
    try:
        document = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise FileRejected(f"{file}: not JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FileRejected(f'{file}: not a directory file (expected "format": "{FORMAT}")')
    parsed = ParsedDirectory(file=file)
    organizations = document.get("organizations", [])
    emergency_numbers = document.get("emergency_numbers", [])
    if not isinstance(organizations, list) or not isinstance(emergency_numbers, list):
        raise FileRejected(f"{file}: organizations and emergency_numbers must be lists")
    for index, raw in enumerate(organizations):
        row = f"organizations[{index}]"
        contacts = raw.get("contacts", []) if isinstance(raw, dict) else []
        if not isinstance(contacts, list):
            contacts = [contacts]
        contact_rows = [(f"{row}.contacts[{i}]", c) for i, c in enumerate(contacts)]
        record = _clean_organization(parsed, raw, row, contact_rows)
        if record is not None:
            record["_row"] = row
            parsed.organizations.append(record)
    for index, raw in enumerate(emergency_numbers):
        emergency = _clean_emergency(parsed, raw, f"emergency_numbers[{index}]")
        if emergency is not None:
            parsed.emergency_numbers.append(emergency)
    parsed.rows_read = len(organizations) + len(emergency_numbers)
    _check_references(parsed, known_slugs)
    return parsed


def _split(cell: str) -> list[str]:
    return [part.strip() for part in (cell or "").split("|") if part.strip()]


def _parse_hours_cell(cell: str) -> list[dict[str, Any]]:
    intervals = []
    for chunk in (cell or "").split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        match = re.fullmatch(r"([0-6](?:,[0-6])*)\s+(\d\d:\d\d)-(\d\d:\d\d)", chunk)
        if not match:
            raise ValueError(f"{chunk!r} is not DAYS HH:MM-HH:MM such as 0,1,2,3,4 09:00-17:00")
        days = [int(d) for d in match.group(1).split(",")]
        intervals.append({"days": days, "open": match.group(2), "close": match.group(3)})
    return intervals


def _by_language(row: dict[str, str], prefix: str) -> dict[str, str]:
    return {
        key[len(prefix) :]: value
        for key, value in row.items()
        if key and key.startswith(prefix) and value and value.strip()
    }


def parse_csv(
    content: bytes | str, file: str = "directory.csv", known_slugs: Iterable[str] = ()
) -> ParsedDirectory:
    """Read and check a CSV directory (one row per contact method)."""
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    except UnicodeDecodeError:
        raise FileRejected(f"{file}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ["slug", "name", "kind", "sources", "verified_on"]
               if c not in (reader.fieldnames or [])]  # fmt: skip
    if missing:
        raise FileRejected(f"{file}: not a directory CSV (missing columns: {', '.join(missing)})")
    parsed = ParsedDirectory(file=file)
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for read in reader:
        row = _restore(read)
        parsed.rows_read += 1
        groups.setdefault((row.get("slug") or "").strip(), []).append((reader.line_num, row))
    for slug, rows in groups.items():
        first_line, first = rows[0]
        row_name = f"line {first_line}"
        for line, other in rows[1:]:
            for column in ORGANIZATION_COLUMNS:
                if (other.get(column) or "").strip() != (first.get(column) or "").strip():
                    parsed.problems.append(
                        RowProblem(
                            file, f"line {line}", column, f"differs from line {first_line}", slug
                        )
                    )
                    parsed.bad_slugs.add(slug)
        raw: dict[str, Any] = {column: first.get(column, "") for column in ORGANIZATION_COLUMNS}
        for column in ("topics", "populations", "languages", "sources"):
            raw[column] = _split(first.get(column, ""))
        raw["summary"] = _by_language(first, "summary_")
        contact_rows: list[tuple[str, Any]] = []
        hour_problems: list[RowProblem] = []
        for line, row in rows:
            if not (row.get("contact_kind") or row.get("contact_value")):
                continue
            try:
                hours: Any = _parse_hours_cell(row.get("contact_hours", ""))
            except ValueError as error:
                hour_problems.append(
                    RowProblem(file, f"line {line}", "contact.hours", str(error), slug)
                )
                hours = []
            contact_rows.append(
                (
                    f"line {line}",
                    {
                        "kind": row.get("contact_kind", "").strip(),
                        "value": row.get("contact_value", ""),
                        "display": row.get("contact_display", ""),
                        "sms_keyword": row.get("contact_sms_keyword", ""),
                        "label": _by_language(row, "label_"),
                        "always_open": row.get("contact_always_open", ""),
                        "timezone": row.get("contact_timezone", ""),
                        "hours": hours,
                        "languages": _split(row.get("contact_languages", "")),
                    },
                )
            )
        record = _clean_organization(parsed, raw, row_name, contact_rows)
        if hour_problems:
            parsed.problems.extend(hour_problems)
            parsed.bad_slugs.add(slug)
        if record is not None:
            record["_row"] = row_name
            parsed.organizations.append(record)
    _check_references(parsed, known_slugs)
    parsed.problems.sort(key=_problem_order)
    return parsed


def _problem_order(problem: RowProblem) -> tuple[int, str]:
    match = re.match(r"line (\d+)", problem.row)
    return (int(match.group(1)) if match else 0, problem.field)


def parse_file(
    content: bytes, file: str, known_slugs: Iterable[str] = (), file_format: str | None = None
) -> ParsedDirectory:
    """Read a JSON or CSV directory file, chosen by ``file_format`` or the file's name."""
    if len(content) > MAX_IMPORT_BYTES:
        raise FileRejected(f"{file}: larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    chosen = file_format or ("csv" if file.lower().endswith(".csv") else "json")
    if chosen == "csv":
        return parse_csv(content, file, known_slugs)
    return parse_json(content, file, known_slugs)


# Export.


def organization_record(organization: Organization) -> dict[str, Any]:
    return {
        "slug": organization.slug,
        "name": organization.name,
        "kind": organization.kind,
        "country": organization.country,
        "subdivision": organization.subdivision,
        "summary": dict(organization.summary),
        "website": organization.website,
        "topics": list(organization.topics),
        "populations": list(organization.populations),
        "languages": list(organization.languages),
        "priority": organization.priority,
        "pairing_group": organization.pairing_group,
        "cost": organization.cost,
        "anonymity": organization.anonymity,
        "sources": list(organization.sources),
        "verified_on": organization.verified_on.isoformat(),
        "status": organization.status,
        "replaced_by": organization.replaced_by.slug if organization.replaced_by else "",
        "notes": organization.notes,
        "contacts": [
            {
                "kind": contact.kind,
                "value": contact.value,
                "display": contact.display,
                "sms_keyword": contact.sms_keyword,
                "label": dict(contact.label),
                "always_open": contact.always_open,
                "timezone": contact.timezone,
                "hours": list(contact.hours),
                "languages": list(contact.languages),
            }
            for contact in organization.contacts.all()
        ],
    }


def emergency_record(numbers: EmergencyNumber) -> dict[str, Any]:
    return {
        "country": numbers.country,
        "general": numbers.general,
        "police": numbers.police,
        "ambulance": numbers.ambulance,
        "fire": numbers.fire,
        "sources": list(numbers.sources),
        "verified_on": numbers.verified_on.isoformat(),
    }


def _all_organizations() -> Iterable[Organization]:
    return (
        Organization.objects.select_related("replaced_by")
        .prefetch_related("contacts")
        .order_by("slug")
    )


def export_json() -> str:
    document = {
        "format": FORMAT,
        "organizations": [organization_record(o) for o in _all_organizations()],
        "emergency_numbers": [emergency_record(e) for e in EmergencyNumber.objects.all()],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _hours_cell(hours: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{','.join(str(d) for d in interval['days'])} {interval['open']}-{interval['close']}"
        for interval in hours
    )


# Spreadsheets run a cell that starts with one of these as a formula. Free-text cells that do are
# written with a leading apostrophe (which spreadsheets hide) and read back without it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_free_text(column: str) -> bool:
    return column in ("name", "notes", "contact_display") or column.startswith(
        ("summary_", "label_")
    )


def _defuse(row: dict[str, Any]) -> dict[str, Any]:
    return {
        column: f"'{value}"
        if _is_free_text(column) and isinstance(value, str) and value.startswith(FORMULA_STARTS)
        else value
        for column, value in row.items()
    }


def _restore(row: dict[str, str]) -> dict[str, str]:
    return {
        column: value[1:]
        if _is_free_text(column or "")
        and isinstance(value, str)
        and value.startswith("'")
        and value[1:].startswith(FORMULA_STARTS)
        else value
        for column, value in row.items()
    }


def export_csv() -> str:
    summary_columns = [f"summary_{tag}" for tag in LANGUAGE_COLUMNS]
    label_columns = [f"label_{tag}" for tag in LANGUAGE_COLUMNS]
    records = [organization_record(o) for o in _all_organizations()]
    extra = sorted(
        {f"summary_{tag}" for r in records for tag in r["summary"]} - set(summary_columns)
    )
    extra_labels = sorted(
        {f"label_{tag}" for r in records for c in r["contacts"] for tag in c["label"]}
        - set(label_columns)
    )
    columns = [
        *ORGANIZATION_COLUMNS,
        *summary_columns,
        *extra,
        *CONTACT_COLUMNS,
        *label_columns,
        *extra_labels,
    ]
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for record in records:
        base = {column: record[column] for column in ORGANIZATION_COLUMNS}
        for column in ("topics", "populations", "languages", "sources"):
            base[column] = "|".join(record[column])
        base["priority"] = "true" if record["priority"] else "false"
        for tag, text in record["summary"].items():
            base[f"summary_{tag}"] = text
        for contact in record["contacts"] or [None]:
            row = dict(base)
            if contact is not None:
                row.update(
                    {
                        "contact_kind": contact["kind"],
                        "contact_value": contact["value"],
                        "contact_display": contact["display"],
                        "contact_sms_keyword": contact["sms_keyword"],
                        "contact_always_open": "true" if contact["always_open"] else "false",
                        "contact_timezone": contact["timezone"],
                        "contact_hours": _hours_cell(contact["hours"]),
                        "contact_languages": "|".join(contact["languages"]),
                    }
                )
                for tag, text in contact["label"].items():
                    row[f"label_{tag}"] = text
            writer.writerow(_defuse(row))
    return output.getvalue()
