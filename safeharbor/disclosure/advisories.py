"""A disclosed report as machine-readable advisories: CSAF 2.0 (profile "Security advisory",
OASIS CSAF 2.0) and OSV (the Open Source Vulnerability format, schema 1.6).

Only the public version of a report goes out: its redacted text when the team wrote one, and for
a limited disclosure the title and summary alone. Pure functions of the report: no I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from cvss import CVSS3
from django.urls import reverse

from safeharbor.disclosure.models import DisclosureKind, Report, WeaknessSource

OSV_SCHEMA_VERSION = "1.6.0"


def _timestamp(moment: datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def tracking_id(report: Report) -> str:
    return f"SAFEHARBOR-VDP-{report.pk}"


def csaf_path(report: Report) -> str:
    """The advisory's path in the directory-based distribution (CSAF 2.0 sections 5.1 and
    7.1.11): the year of its initial release, then the tracking ID in lower case with every
    character other than ``+``, ``-``, ``a-z`` and ``0-9`` replaced by ``_``."""
    assert report.disclosed_at is not None
    name = re.sub(r"[^+\-a-z0-9]", "_", tracking_id(report).lower())
    return f"{report.disclosed_at.astimezone(UTC).year}/{name}.json"


def csaf_timestamp(moment: datetime | None) -> str:
    return _timestamp(moment)


def csaf_provider_metadata(
    site_url: str, publisher_name: str, last_updated: datetime
) -> dict[str, Any]:
    """The provider metadata (CSAF 2.0 section 7.1.20) of a publisher with one directory-based
    distribution of TLP:WHITE advisories."""
    return {
        "canonical_url": site_url + reverse("csaf_provider_metadata"),
        "distributions": [{"directory_url": site_url + reverse("csaf_white_directory")}],
        "last_updated": _timestamp(last_updated),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": {"category": "vendor", "name": publisher_name, "namespace": site_url},
        "role": "csaf_publisher",
    }


def _public_url(report: Report, site_url: str) -> str:
    return site_url + reverse("disclosure:report_public", args=[report.pk])


def _details(report: Report) -> str:
    parts = [report.public_summary.strip()]
    if report.disclosure_kind == DisclosureKind.FULL:
        parts += [
            report.public_text("description").strip(),
            report.public_text("impact").strip(),
        ]
    text = "\n\n".join(part for part in parts if part)
    return text or report.title


def _product_id(report: Report) -> str:
    return f"ASSET-{report.asset_id}" if report.asset_id else "ASSET-UNLISTED"


def csaf_document(report: Report, site_url: str, publisher_name: str) -> dict[str, Any]:
    """A CSAF 2.0 security advisory for a disclosed report."""
    released = _timestamp(report.disclosed_at)
    product = _product_id(report)
    asset_name = report.asset.identifier if report.asset else "Service not listed in the scope"
    vulnerability: dict[str, Any] = {
        "title": report.title,
        "notes": [{"category": "description", "text": _details(report), "title": "Description"}],
        "product_status": {"fixed": [product]},
        "remediations": [
            {
                "category": "vendor_fix",
                "details": "Fixed by the vendor; no action is needed from users.",
                "product_ids": [product],
            }
        ],
        "references": [
            {
                "category": "self",
                "summary": "Disclosed report",
                "url": _public_url(report, site_url),
            }
        ],
    }
    if report.cve_id:
        vulnerability["cve"] = report.cve_id
    if report.weakness and report.weakness.source == WeaknessSource.CWE and report.weakness.cwe_ids:
        vulnerability["cwe"] = {
            "id": f"CWE-{report.weakness.cwe_ids[0]}",
            "name": report.weakness.name,
        }
    if report.cvss_vector.startswith("CVSS:3."):
        vulnerability["scores"] = [
            {"products": [product], "cvss_v3": CVSS3(report.cvss_vector).as_json(minimal=True)}
        ]
    summary = report.public_summary.strip() or report.title
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "distribution": {"tlp": {"label": "WHITE"}},
            "lang": "en",
            "notes": [{"category": "summary", "text": summary, "title": "Summary"}],
            "publisher": {
                "category": "vendor",
                "name": publisher_name,
                "namespace": site_url,
            },
            "references": [
                {
                    "category": "self",
                    "summary": "This advisory",
                    "url": site_url + reverse("disclosure:report_csaf", args=[report.pk]),
                }
            ],
            "title": report.title,
            "tracking": {
                "current_release_date": released,
                "id": tracking_id(report),
                "initial_release_date": released,
                "revision_history": [
                    {"date": released, "number": "1", "summary": "Initial disclosure."}
                ],
                "status": "final",
                "version": "1",
            },
        },
        "product_tree": {"full_product_names": [{"name": asset_name, "product_id": product}]},
        "vulnerabilities": [vulnerability],
    }


def osv_record(report: Report, site_url: str) -> dict[str, Any]:
    """An OSV record for a disclosed report. The affected "package" is the program's asset,
    described in ``ecosystem_specific`` (web services have no package ecosystem)."""
    record: dict[str, Any] = {
        "schema_version": OSV_SCHEMA_VERSION,
        "id": tracking_id(report),
        "modified": _timestamp(report.updated_at or report.disclosed_at),
        "published": _timestamp(report.disclosed_at),
        "aliases": [report.cve_id] if report.cve_id else [],
        "summary": report.title,
        "details": _details(report),
        "affected": [
            {
                "ecosystem_specific": {
                    "asset": report.asset.identifier if report.asset else "",
                    "asset_type": report.asset.asset_type if report.asset else "",
                    "fixed": True,
                }
            }
        ],
        "references": [
            {"type": "REPORT", "url": _public_url(report, site_url)},
            {
                "type": "ADVISORY",
                "url": site_url + reverse("disclosure:report_csaf", args=[report.pk]),
            },
        ],
        "database_specific": {"severity": report.severity or None},
    }
    if report.cvss_vector.startswith("CVSS:3."):
        record["severity"] = [{"type": "CVSS_V3", "score": report.cvss_vector}]
    elif report.cvss_vector.startswith("CVSS:4.0/"):
        record["severity"] = [{"type": "CVSS_V4", "score": report.cvss_vector}]
    if report.weakness and report.weakness.cwe_ids:
        record["database_specific"]["cwe_ids"] = [f"CWE-{i}" for i in report.weakness.cwe_ids]
    return record
