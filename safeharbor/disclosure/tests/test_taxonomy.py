from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from safeharbor.disclosure.models import Weakness
from safeharbor.disclosure.taxonomy import CWE_CATALOG, TaxonomyError, import_vrt

from .conftest import VRT_DIR

pytestmark = pytest.mark.django_db


def test_the_shipped_cwe_catalog_loads_idempotently_with_mitre_names() -> None:
    call_command("vdp", "load-cwe")
    call_command("vdp", "load-cwe")
    count = len(json.loads(CWE_CATALOG.read_text())["entries"])
    assert Weakness.objects.filter(source="cwe").count() == count
    assert Weakness.objects.get(code="CWE-79").name == (
        "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')"
    )
    assert Weakness.objects.get(code="CWE-639").name == (
        "Authorization Bypass Through User-Controlled Key"
    )
    for number in (89, 22, 352, 918, 287, 285, 200, 611, 502, 78, 601, 434, 1021, 798, 1333):
        assert Weakness.objects.filter(code=f"CWE-{number}").exists()


def test_bugcrowds_vrt_imports_with_inherited_cwe_mappings() -> None:
    vrt = VRT_DIR / "vulnerability-rating-taxonomy.json"
    if not vrt.exists():
        pytest.skip(f"The VRT data is not present at {VRT_DIR.name}/ beside the repository.")
    result = import_vrt(vrt, VRT_DIR / "cwe.json")
    assert result.created > 100
    ssrf = Weakness.objects.get(
        code="VRT:server_security_misconfiguration.server_side_request_forgery_ssrf"
    )
    assert ssrf.cwe_ids == [918, 441]
    variant = Weakness.objects.get(
        code="VRT:server_security_misconfiguration.server_side_request_forgery_ssrf"
        ".internal_high_impact"
    )
    assert variant.parent == ssrf
    assert variant.vrt_priority == 2
    assert variant.cwe_ids == [918, 441]  # inherited from the subcategory
    assert variant.name.startswith("Server Security Misconfiguration > Server-Side Request")
    again = import_vrt(vrt, VRT_DIR / "cwe.json")
    assert again.created == 0
    assert again.updated == result.created


def test_a_file_that_is_not_a_vrt_is_refused(tmp_path) -> None:
    bogus = tmp_path / "vrt.json"
    bogus.write_text(json.dumps({"hello": 1}))
    with pytest.raises(TaxonomyError, match="no 'content' list"):
        import_vrt(bogus)
    assert not Weakness.objects.exists()
