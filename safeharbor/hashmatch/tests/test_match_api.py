"""The matching API end to end: uploads and hashes in, matches, cases, kept media, webhooks out."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from safeharbor.core.models import WebhookDelivery, WebhookEndpoint
from safeharbor.core.webhooks import new_secret
from safeharbor.hashmatch import matching
from safeharbor.hashmatch.evidence import decrypt_media
from safeharbor.hashmatch.hashing import hash_media
from safeharbor.hashmatch.models import BankEntry, HashBank, HashMatch, KeptMedia
from safeharbor.moderation.models import Case, PolicyCategory, Report
from safeharbor.moderation.reference import load_reference_data

pytestmark = pytest.mark.django_db

PDQ_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "pdq"
needs_pdq_data = pytest.mark.skipif(
    not PDQ_DATA.is_dir(), reason="the shared PDQ test images are not beside the repository"
)


@pytest.fixture(autouse=True)
def fresh_matcher(monkeypatch: pytest.MonkeyPatch) -> None:
    matching.pdq_matcher.forget()
    monkeypatch.setattr(matching, "REFRESH_SECONDS", 0.0)


@pytest.fixture
def platform(db: None, make_api_client: Callable[..., Any]) -> Any:
    load_reference_data()
    return make_api_client("media:hash", "media:match", name="platform")


def _bank(slug: str, signal_type: str, category: str, **fields: Any) -> HashBank:
    policy = PolicyCategory.objects.get(slug=category)
    return HashBank.objects.create(
        slug=slug,
        name=slug.upper(),
        signal_type=signal_type,
        category=policy,
        severity_tier=policy.severity_tier,
        **fields,
    )


def _photo(seed: int = 1, size: tuple[int, int] = (640, 480)) -> bytes:
    """A generated picture with structure (PDQ needs more than noise or flat colour)."""
    image = Image.new("RGB", size)
    pixels = image.load()
    assert pixels is not None
    for x in range(size[0]):
        for y in range(size[1]):
            pixels[x, y] = ((x * seed) % 256, (y * 3 + seed * 40) % 256, ((x ^ y) * seed) % 256)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _upload(client: Any, path: str, data: bytes, name: str = "photo.jpg", **fields: str) -> Any:
    return client.post(path, {"file": SimpleUploadedFile(name, data), **fields})


def _post_json(client: Any, path: str, payload: Any) -> Any:
    return client.post(path, json.dumps(payload), content_type="application/json")


def test_hash_returns_md5_sha256_and_pdq_with_quality(platform: Any) -> None:
    data = _photo()
    response = _upload(platform.client, "/api/v1/media/hash", data)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["md5"] == hashlib.md5(data).hexdigest()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["kind"] == "image"
    assert body["pdq"]["hash"] == hash_media(data).pdq.hash  # type: ignore[union-attr]
    assert len(body["pdq"]["dihedral"]) == 8
    assert body["pdq"]["quality"] >= 50
    # Hashing stores nothing.
    assert not KeptMedia.objects.exists()
    assert not Case.objects.exists()


@needs_pdq_data
def test_an_edited_copy_matches_opens_a_child_safety_case_keeps_the_media_and_tells_the_platform(
    platform: Any,
) -> None:
    original = (PDQ_DATA / "bridge-mods" / "aaa-orig.jpg").read_bytes()
    bank = _bank("ncmec", "pdq", "child-sexual-abuse-material", source="NCMEC hash sharing")
    entry = BankEntry.objects.create(
        bank=bank,
        signal_type="pdq",
        value=hash_media(original).pdq.hash,  # type: ignore[union-attr]
    )
    WebhookEndpoint.objects.create(
        name="platform", url="https://platform.example/hooks", secret=new_secret()
    )
    edited = (PDQ_DATA / "bridge-mods" / "blur-a-little.jpg").read_bytes()

    response = _upload(
        platform.client, "/api/v1/media/match", edited, content_id="upload-77", author_id="u-5"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["matched"] is True
    [found] = body["matches"]
    assert (found["bank"], found["signal_type"], found["entry_id"]) == ("ncmec", "pdq", entry.pk)
    assert 0 < found["distance"] <= 31
    case = Case.objects.get(public_id=body["case_id"])
    assert case.content_id == "upload-77"
    assert case.author_id == "u-5"
    assert case.category.slug == "child-sexual-abuse-material"
    assert case.queue.slug == "child-safety"
    assert case.reporter_trust == "hash_match"
    report = Report.objects.get(case=case)
    assert report.source == "hash_match"
    assert report.api_key == platform.key
    assert HashMatch.objects.get().distance == found["distance"]
    kept = KeptMedia.objects.get(case=case)
    assert bytes(kept.ciphertext) != edited
    assert edited not in bytes(kept.ciphertext)
    assert decrypt_media(kept) == edited
    delivery = WebhookDelivery.objects.get(event_type="hashmatch.matched")
    assert delivery.payload["data"]["case_id"] == str(case.public_id)
    assert delivery.payload["data"]["action"] == "quarantine"
    assert delivery.payload["data"]["matches"][0]["bank"] == "ncmec"


def test_a_hash_match_outranks_every_unmatched_case_of_its_tier(
    platform: Any, make_api_client: Callable[..., Any]
) -> None:
    data = _photo(seed=3)
    bank = _bank("internal", "md5", "spam")
    BankEntry.objects.create(bank=bank, signal_type="md5", value=hashlib.md5(data).hexdigest())
    reporter = make_api_client("reports:write", name="flagger")
    reporter.client.post(
        "/api/v1/reports",
        json.dumps(
            {
                "content_id": "other",
                "category": "spam",
                "trusted_flagger": True,
                "content_metadata": {"views": 10**12},
            }
        ),
        content_type="application/json",
    )
    response = _upload(platform.client, "/api/v1/media/match", data, content_id="spam-1")
    matched = Case.objects.get(public_id=response.json()["case_id"])
    other = Case.objects.get(content_id="other")
    assert matched.severity_tier == other.severity_tier
    assert matched.priority_key > other.priority_key


@needs_pdq_data
def test_rotated_and_mirrored_copies_match_through_the_dihedral_hashes(platform: Any) -> None:
    original = (PDQ_DATA / "dihedral" / "bridge-1-original.jpg").read_bytes()
    bank = _bank("iwf", "pdq", "child-sexual-abuse-material")
    BankEntry.objects.create(
        bank=bank,
        signal_type="pdq",
        value=hash_media(original).pdq.hash,  # type: ignore[union-attr]
    )
    for variant in sorted((PDQ_DATA / "dihedral").glob("*.jpg")):
        response = _upload(
            platform.client, "/api/v1/media/match", variant.read_bytes(), content_id=variant.stem
        )
        assert response.status_code == 200, response.content
        assert response.json()["matched"], variant.name


def test_nothing_is_stored_when_nothing_matched(platform: Any) -> None:
    bank = _bank("internal", "pdq", "spam")
    BankEntry.objects.create(bank=bank, signal_type="pdq", value="0" * 64)
    response = _upload(platform.client, "/api/v1/media/match", _photo(), content_id="c-1")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "content_id": "c-1",
        "matched": False,
        "matches": [],
        "case_id": None,
        "hashes": response.json()["hashes"],
    }
    assert response.json()["hashes"]["pdq"] is not None
    assert not Case.objects.exists()
    assert not KeptMedia.objects.exists()
    assert not HashMatch.objects.exists()
    assert not Report.objects.exists()


def test_exact_hashes_match_through_json_and_disabled_entries_and_banks_never_match(
    platform: Any,
) -> None:
    data = b"any file at all, a video say"
    md5 = hashlib.md5(data).hexdigest()
    bank = _bank("internal", "md5", "violent-extremism")
    entry = BankEntry.objects.create(bank=bank, signal_type="md5", value=md5)

    def ask(content_id: str) -> Any:
        return _post_json(
            platform.client, "/api/v1/media/match", {"content_id": content_id, "md5": md5.upper()}
        ).json()

    assert ask("v-1")["matches"][0]["bank"] == "internal"
    entry.enabled = False
    entry.save()
    assert ask("v-2")["matched"] is False
    entry.enabled = True
    entry.save()
    bank.enabled = False
    bank.save()
    assert ask("v-3")["matched"] is False
    assert Case.objects.count() == 1


def test_new_bank_entries_are_matched_without_a_restart(platform: Any) -> None:
    data = _photo(seed=5)
    pdq = hash_media(data).pdq.hash  # type: ignore[union-attr]
    bank = _bank("internal", "pdq", "spam")
    BankEntry.objects.create(bank=bank, signal_type="pdq", value="f" * 64)
    assert (
        _post_json(platform.client, "/api/v1/media/match", {"content_id": "a", "pdq": pdq}).json()[
            "matched"
        ]
        is False
    )
    loaded = len(matching.pdq_matcher)
    BankEntry.objects.create(bank=bank, signal_type="pdq", value=pdq)
    body = _post_json(
        platform.client, "/api/v1/media/match", {"content_id": "b", "pdq": pdq}
    ).json()
    assert body["matched"] is True
    assert body["matches"][0]["distance"] == 0
    assert len(matching.pdq_matcher) == loaded + 1  # added to the live index, not rebuilt


def test_a_bank_threshold_narrows_pdq_matches(platform: Any) -> None:
    bank = _bank("strict", "pdq", "spam", match_threshold=4)
    stored = "0" * 64
    BankEntry.objects.create(bank=bank, signal_type="pdq", value=stored)
    five_bits = "1f" + "0" * 62
    four_bits = "0f" + "0" * 62

    def ask(h: str) -> Any:
        return _post_json(
            platform.client, "/api/v1/media/match", {"content_id": h[:4], "pdq": [h]}
        ).json()

    assert ask(four_bits)["matches"][0]["distance"] == 4
    assert ask(five_bits)["matched"] is False


def test_matching_the_same_upload_again_changes_nothing(platform: Any) -> None:
    data = _photo(seed=7)
    bank = _bank("internal", "sha256", "spam")
    BankEntry.objects.create(
        bank=bank, signal_type="sha256", value=hashlib.sha256(data).hexdigest()
    )
    first = _upload(platform.client, "/api/v1/media/match", data, content_id="x").json()
    again = _upload(platform.client, "/api/v1/media/match", data, content_id="x").json()
    assert first["case_id"] == again["case_id"]
    assert (Report.objects.count(), HashMatch.objects.count(), KeptMedia.objects.count()) == (
        1,
        1,
        1,
    )


def test_batches_answer_per_item(platform: Any) -> None:
    good = _photo(seed=2)
    response = platform.client.post(
        "/api/v1/media/hash/batch",
        {
            "file": [
                SimpleUploadedFile("a.jpg", good),
                SimpleUploadedFile("b.jpg", good[: len(good) // 2]),
            ]
        },
    )
    assert response.status_code == 200, response.content
    first, second = response.json()["items"]
    assert first["ok"]
    assert first["hashes"]["sha256"] == hashlib.sha256(good).hexdigest()
    assert not second["ok"]
    assert second["filename"] == "b.jpg"
    assert second["error"]

    bank = _bank("internal", "md5", "spam")
    BankEntry.objects.create(bank=bank, signal_type="md5", value=hashlib.md5(good).hexdigest())
    matched = _post_json(
        platform.client,
        "/api/v1/media/match/batch",
        {
            "items": [
                {"content_id": "1", "md5": hashlib.md5(good).hexdigest()},
                {"content_id": "2", "sha256": "a" * 64},
            ]
        },
    ).json()["items"]
    assert [item["result"]["matched"] for item in matched] == [True, False]

    uploads = platform.client.post(
        "/api/v1/media/match/batch",
        {"file": [SimpleUploadedFile("a.jpg", good)], "content_id": ["u-1"]},
    ).json()["items"]
    assert uploads[0]["result"]["matched"] is True


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/v1/media/match", {"content_id": "c", "pdq": "abc"}, "pdq"),
        ("/api/v1/media/match", {"content_id": "c", "md5": "z" * 32}, "md5"),
        ("/api/v1/media/match", {"content_id": "c"}, "body"),
        ("/api/v1/media/match", {"md5": "a" * 32}, "content_id"),
        ("/api/v1/media/match", {"content_id": "c", "md5": "a" * 32, "extra": 1}, "extra"),
        ("/api/v1/media/match/batch", {"items": []}, "items"),
    ],
)
def test_malformed_hashes_are_422_naming_the_field(
    platform: Any, path: str, payload: dict[str, Any], field: str
) -> None:
    response = _post_json(platform.client, path, payload)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    locations = [".".join(map(str, error["loc"])) for error in response.json()["errors"]]
    assert any(field in location for location in locations), locations
    assert not Case.objects.exists()


def test_bad_uploads_are_clear_4xx_errors(platform: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = platform.client
    jpeg = _photo()
    empty = _upload(client, "/api/v1/media/hash", b"")
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"].lower() + str(empty.json()["errors"]).lower()
    truncated = _upload(client, "/api/v1/media/hash", jpeg[: len(jpeg) // 3])
    assert truncated.status_code == 422, truncated.content
    not_multipart = _post_json(client, "/api/v1/media/hash", {"file": "x"})
    assert not_multipart.status_code == 422
    missing = client.post("/api/v1/media/hash", {"other": SimpleUploadedFile("a", b"1")})
    assert missing.status_code == 422
    not_json = client.post("/api/v1/media/match", "{nope", content_type="application/json")
    assert not_json.status_code == 400
    # A file that is not an image still has MD5 and SHA-256, and says why it has no PDQ.
    text = _upload(client, "/api/v1/media/hash", b"%PDF-1.7 not an image", name="a.pdf")
    assert text.status_code == 200
    assert text.json()["pdq"] is None
    assert text.json()["pdq_unusable"]
    monkeypatch.setattr("safeharbor.hashmatch.api.MAX_MEDIA_BYTES", 1000)
    big = _upload(client, "/api/v1/media/hash", b"x" * 5000)
    assert big.status_code == 413, big.content
    assert big.json()["max_length"] == 1000


def test_a_decompression_bomb_is_refused_and_the_worker_carries_on(platform: Any) -> None:
    bomb = io.BytesIO()
    Image.new("1", (30000, 30000)).save(bomb, format="PNG")
    response = _upload(platform.client, "/api/v1/media/hash", bomb.getvalue(), name="bomb.png")
    assert response.status_code == 422, response.content
    after = _upload(platform.client, "/api/v1/media/hash", _photo())
    assert after.status_code == 200


def test_scopes_are_required(make_api_client: Callable[..., Any], db: None) -> None:
    hasher = make_api_client("media:hash", name="hasher")
    denied = _post_json(hasher.client, "/api/v1/media/match", {"content_id": "c", "md5": "a" * 32})
    assert denied.status_code == 403
    reporter = make_api_client("reports:write", name="reporter")
    assert _upload(reporter.client, "/api/v1/media/hash", _photo()).status_code == 403


def test_entries_committed_out_of_id_order_are_still_loaded(platform: Any) -> None:
    """A long import holds low ids while later writers commit higher ones: the matcher reads
    recent entries and changed banks again, so nothing is skipped."""
    bank = _bank("internal", "pdq", "spam")
    BankEntry.objects.create(pk=100, bank=bank, signal_type="pdq", value="1" * 64)
    matching.pdq_matcher.refresh(force=True)
    late = "2" * 64
    BankEntry.objects.create(pk=50, bank=bank, signal_type="pdq", value=late)
    matching.pdq_matcher.refresh(force=True)
    assert late in matching.pdq_matcher.search([late])

    old = "3" * 64
    BankEntry.objects.create(
        pk=60,
        bank=bank,
        signal_type="pdq",
        value=old,
        added_at=timezone.now() - timedelta(hours=2),
    )
    matching.pdq_matcher.refresh(force=True)
    assert old not in matching.pdq_matcher.search([old])
    HashBank.objects.filter(pk=bank.pk).update(updated_at=timezone.now())  # an import finished
    matching.pdq_matcher.refresh(force=True)
    assert old in matching.pdq_matcher.search([old])
