"""The weakness taxonomy: the CWE entries the project ships, and an importer for Bugcrowd's
Vulnerability Rating Taxonomy (VRT) with its CWE mapping. Both loaders are idempotent."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from safeharbor.disclosure.models import Weakness, WeaknessSource

CWE_CATALOG = Path(__file__).resolve().parent / "data" / "cwe_common.json"
_CWE_ID = re.compile(r"^CWE-(\d+)$")


class TaxonomyError(ValueError):
    """The file is not a taxonomy this importer understands; the message says where."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    deactivated: int


def load_cwe_catalog(path: Path = CWE_CATALOG) -> ImportResult:
    """Create or update the shipped CWE entries (code ``CWE-<id>``)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    created = updated = 0
    with transaction.atomic():
        for entry in document["entries"]:
            _, was_created = Weakness.objects.update_or_create(
                code=f"CWE-{int(entry['id'])}",
                defaults={
                    "source": WeaknessSource.CWE,
                    "name": entry["name"],
                    "cwe_ids": [int(entry["id"])],
                    "active": True,
                },
            )
            created += was_created
            updated += not was_created
    return ImportResult(created, updated, 0)


def _cwe_numbers(values: Any, where: str) -> list[int]:
    if not isinstance(values, list):
        raise TaxonomyError(f"{where}: 'cwe' must be a list of CWE ids.")
    numbers = []
    for value in values:
        match = _CWE_ID.match(str(value))
        if match is None:
            raise TaxonomyError(f"{where}: {value!r} is not a CWE id such as CWE-79.")
        numbers.append(int(match.group(1)))
    return numbers


def _cwe_map(nodes: list[dict[str, Any]], prefix: str = "") -> dict[str, list[int]]:
    """Dotted VRT path -> CWE ids given on that node (inheritance is applied later)."""
    mapping: dict[str, list[int]] = {}
    for node in nodes:
        path = f"{prefix}.{node['id']}" if prefix else str(node["id"])
        if "cwe" in node and node["cwe"] is not None:
            mapping[path] = _cwe_numbers(node["cwe"], f"CWE mapping {path}")
        mapping.update(_cwe_map(node.get("children", []), path))
    return mapping


def import_vrt(vrt_path: Path, cwe_map_path: Path | None = None) -> ImportResult:
    """Import the VRT tree (category > subcategory > variant, priorities P1 to P5) as weaknesses
    with codes ``VRT:<category>.<subcategory>.<variant>``. A node without CWEs in the mapping
    inherits its nearest ancestor's, as the VRT's mapping files specify. Nodes that left the VRT
    are deactivated, not deleted: earlier reports still point at them."""
    try:
        document = json.loads(vrt_path.read_text(encoding="utf-8"))
        mapping_document = (
            json.loads(cwe_map_path.read_text(encoding="utf-8")) if cwe_map_path else None
        )
    except (OSError, json.JSONDecodeError) as error:
        raise TaxonomyError(f"Cannot read the taxonomy: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("content"), list):
        raise TaxonomyError("The VRT file has no 'content' list.")
    cwe_by_path = _cwe_map(mapping_document["content"]) if mapping_document else {}
    seen: set[str] = set()
    counts = {"created": 0, "updated": 0}

    def visit(node: dict[str, Any], parent: Weakness | None, path: str, inherited: list[int]):
        for key in ("id", "name", "type"):
            if not isinstance(node.get(key), str):
                raise TaxonomyError(f"VRT node under {path or 'the root'} has no {key!r}.")
        node_path = f"{path}.{node['id']}" if path else node["id"]
        cwes = cwe_by_path.get(node_path, inherited)
        priority = node.get("priority")
        code = f"VRT:{node_path}"
        name = node["name"] if parent is None else f"{parent.name} > {node['name']}"
        weakness, created = Weakness.objects.update_or_create(
            code=code,
            defaults={
                "source": WeaknessSource.VRT,
                "name": name[:300],
                "cwe_ids": cwes,
                "parent": parent,
                "vrt_priority": priority if isinstance(priority, int) else None,
                "active": True,
            },
        )
        counts["created" if created else "updated"] += 1
        seen.add(code)
        for child in node.get("children", []):
            visit(child, weakness, node_path, cwes)

    with transaction.atomic():
        for top in document["content"]:
            visit(top, None, "", [])
        deactivated = (
            Weakness.objects.filter(source=WeaknessSource.VRT, active=True)
            .exclude(code__in=seen)
            .update(active=False)
        )
    return ImportResult(counts["created"], counts["updated"], deactivated)
