"""Hash bank services: creating and changing banks, single entries, enabling and disabling,
deleting, and adding the media of a decided case. Every change is audited once.

The helpers at the top (``make_bank``, ``decided_case``, ``photo``) are shared with the other
``test_bank*`` modules."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageDraw

from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.webhook_receiver import WebhookReceiver
from safeharbor.hashmatch import banks
from safeharbor.hashmatch.evidence import keep_media
from safeharbor.hashmatch.hashing import hash_media
from safeharbor.hashmatch.models import BankEntry, HashBank, HashMatch
from safeharbor.moderation import dsa
from safeharbor.moderation.models import Case, CaseState, Decision, PolicyCategory
from safeharbor.moderation.reference import load_reference_data
from safeharbor.moderation.services import ReportData, claim_case, decide_case, submit_report

pytestmark = pytest.mark.django_db

PDQ_A = "f" * 64
MD5_A = "0cc175b9c0f1b6a831c399e269772661"
SHA_A = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


# --- Shared helpers ----------------------------------------------------------------------------


def make_bank(
    slug: str = "internal-md5", signal_type: str = "md5", category: str = "spam", **fields: Any
) -> HashBank:
    if not PolicyCategory.objects.exists():
        load_reference_data()
    return banks.create_bank(
        slug=slug,
        name=fields.pop("name", slug.replace("-", " ").title()),
        signal_type=signal_type,
        category=PolicyCategory.objects.get(slug=category),
        actor=None,
        **fields,
    )


def photo(seed: int = 1, size: tuple[int, int] = (320, 240)) -> bytes:
    """A picture with structure (PDQ needs more than flat colour), as PNG."""
    image = Image.new("RGB", size, (250, 250, 245))
    draw = ImageDraw.Draw(image)
    step = 20 + seed * 3
    for x in range(0, size[0], step):
        draw.rectangle([x, 0, x + step // 2, size[1]], fill=(30 * seed % 255, 90, 160))
    draw.ellipse([40, 30, 200, 190], fill=(200, 40 + seed * 20 % 200, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def flat_image() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (128, 128, 128)).save(out, format="PNG")
    return out.getvalue()


def decided_case(
    reviewer: Any,
    *,
    category: str = "spam",
    action: str = "remove",
    content_id: str = "post-1",
    media_url: str = "",
    media_hash: str = "",
) -> Case:
    """A case about one piece of media, claimed and decided by ``reviewer``."""
    if not PolicyCategory.objects.exists():
        load_reference_data()
    report = submit_report(
        ReportData(
            content_id=content_id,
            category=category,
            content_type="image",
            media_url=media_url,
            media_hash=media_hash,
        )
    ).report
    case = Case.objects.get(pk=report.case_id)
    claim_case(case, actor=reviewer)
    policy = PolicyCategory.objects.get(slug=category)
    if action == "no_violation":
        decision = Decision(action=action, policy=policy, decision_facts="Nothing wrong.")
    else:
        decision = Decision(
            action=action,
            policy=policy,
            decision_ground=dsa.DecisionGround.INCOMPATIBLE_CONTENT,
            incompatible_content_ground="Terms of service 4.2",
            incompatible_content_explanation="Breaks the rules.",
            decision_facts="The image breaks the rules.",
            territorial_scope=["DE"],
        )
    decide_case(Case.objects.get(pk=case.pk), decision, actor=reviewer)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def media_server(settings: Any) -> Iterator[WebhookReceiver]:
    """The platform's media host, on 127.0.0.1."""
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = True
    server = WebhookReceiver().start()
    yield server
    server.stop()


def audit_rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


# --- Banks -------------------------------------------------------------------------------------


def test_a_new_bank_takes_its_categorys_severity_and_writes_one_audit_row(admin) -> None:
    load_reference_data()
    csam = PolicyCategory.objects.get(slug="child-sexual-abuse-material")
    bank = banks.create_bank(
        slug="ncmec-md5",
        name="NCMEC MD5",
        signal_type="md5",
        category=csam,
        source="NCMEC hash sharing",
        actor=admin.user,
    )
    assert bank.severity_tier == csam.severity_tier == 1
    assert bank.enabled
    [event] = audit_rows("hashmatch.bank_created")
    assert event.actor == admin.user
    assert event.target_id == str(bank.pk)
    assert event.details["signal_type"] == "md5"
    assert event.details["category"] == "child-sexual-abuse-material"


def test_an_explicit_severity_tier_wins_over_the_categorys(roles) -> None:
    bank = make_bank(severity_tier=2)
    assert bank.severity_tier == 2


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "matches"}, "slug"),
        ({"slug": "new"}, "slug"),
        ({"match_threshold": 64}, "match_threshold"),
        ({"match_threshold": -1}, "match_threshold"),
        ({"signal_type": "sha1"}, "signal_type"),
        ({"name": ""}, "name"),
        ({"severity_tier": 7}, "severity_tier"),
    ],
)
def test_bad_bank_fields_are_refused_by_field_and_nothing_is_stored(fields, field_name) -> None:
    load_reference_data()
    values = {"slug": "b", "name": "B", "signal_type": "pdq", **fields}
    with pytest.raises(ValidationError) as caught:
        banks.create_bank(category=PolicyCategory.objects.get(slug="spam"), actor=None, **values)
    assert field_name in caught.value.message_dict
    assert not HashBank.objects.exists()
    assert not audit_rows("hashmatch.bank_created")


def test_a_slug_is_taken_once_and_a_retired_category_is_refused() -> None:
    make_bank("one")
    with pytest.raises(ValidationError) as caught:
        make_bank("one")
    assert "exists already" in caught.value.message_dict["slug"][0]
    PolicyCategory.objects.filter(slug="hate").update(active=False)
    with pytest.raises(ValidationError) as caught:
        make_bank("two", category="hate")
    assert "retired" in caught.value.message_dict["category"][0]


def test_editing_a_bank_records_before_and_after_but_never_moves_its_signal_type(admin) -> None:
    bank = make_bank("pdq-bank", "pdq")
    hate = PolicyCategory.objects.get(slug="hate")
    banks.update_bank(
        bank,
        {"name": "Renamed", "category": hate, "match_threshold": 20},
        actor=admin.user,
    )
    bank.refresh_from_db()
    assert (bank.name, bank.category, bank.match_threshold) == ("Renamed", hate, 20)
    [event] = audit_rows("hashmatch.bank_changed")
    assert event.details["changed"]["category"] == ["spam", "hate"]
    assert event.details["changed"]["match_threshold"] == [31, 20]
    with pytest.raises(ValidationError) as caught:
        banks.update_bank(bank, {"signal_type": "md5"}, actor=admin.user)
    assert "signal_type" in caught.value.message_dict
    with pytest.raises(ValidationError):
        banks.update_bank(bank, {"match_threshold": 99}, actor=admin.user)
    bank.refresh_from_db()
    assert bank.signal_type == "pdq"
    assert bank.match_threshold == 20
    banks.update_bank(bank, {"name": "Renamed"}, actor=admin.user)  # no change, no row
    assert len(audit_rows("hashmatch.bank_changed")) == 1


def test_disabling_and_enabling_a_bank_is_audited_once_each(admin) -> None:
    bank = make_bank()
    banks.set_bank_enabled(bank, False, reason="checking the list", actor=admin.user)
    banks.set_bank_enabled(bank, False, actor=admin.user)  # already disabled: nothing to record
    bank.refresh_from_db()
    assert not bank.enabled
    [event] = audit_rows("hashmatch.bank_disabled")
    assert event.details == {"reason": "checking the list"}
    banks.set_bank_enabled(bank, True, actor=admin.user)
    bank.refresh_from_db()
    assert bank.enabled
    assert len(audit_rows("hashmatch.bank_enabled")) == 1


def test_deleting_a_bank_removes_its_entries_with_one_audit_row(admin) -> None:
    bank = make_bank()
    keep = make_bank("other")
    banks.add_entry(bank, MD5_A, actor=admin.user)
    banks.add_entry(bank, "92eb5ffee6ae2fec3ad71c777531578f", actor=admin.user)
    banks.add_entry(keep, MD5_A, actor=admin.user)
    assert banks.delete_bank(bank, actor=admin.user) == 2
    assert not HashBank.objects.filter(slug="internal-md5").exists()
    assert list(BankEntry.objects.values_list("bank__slug", flat=True)) == ["other"]
    [event] = audit_rows("hashmatch.bank_deleted")
    assert event.details["entries"] == 2
    assert event.target_label == "Internal Md5"


def test_a_bank_that_matched_cannot_be_deleted_and_says_to_disable_it(admin) -> None:
    bank = make_bank()
    entry = banks.add_entry(bank, MD5_A, actor=admin.user)
    HashMatch.objects.create(
        content_id="c-1", signal_type="md5", query_hash=MD5_A, bank=bank, entry=entry
    )
    with pytest.raises(banks.BankInUse, match="Disable it instead"):
        banks.delete_bank(bank, actor=admin.user)
    assert BankEntry.objects.filter(bank=bank).count() == 1
    assert not audit_rows("hashmatch.bank_deleted")


# --- Entries -----------------------------------------------------------------------------------


def test_an_entry_is_normalized_audited_and_refused_twice(admin) -> None:
    bank = make_bank()
    entry = banks.add_entry(bank, f"  {MD5_A.upper()} ", note="from a partner", actor=admin.user)
    assert entry.value == MD5_A
    assert entry.signal_type == "md5"
    assert entry.added_by == admin.user
    assert entry.origin == "added by hand"
    [event] = audit_rows("hashmatch.entry_added")
    assert event.details["value"] == MD5_A
    with pytest.raises(banks.BankError, match="already"):
        banks.add_entry(bank, MD5_A, actor=admin.user)
    assert BankEntry.objects.count() == 1


@pytest.mark.parametrize(
    "value", ["", "abc", MD5_A + "0", "zz" * 16, SHA_A, "0cc175b9c0f1b6a831c399e26977266"]
)
def test_a_malformed_hash_is_refused_with_the_reason(value) -> None:
    bank = make_bank()
    with pytest.raises(ValidationError) as caught:
        banks.add_entry(bank, value, actor=None)
    message = caught.value.message_dict["value"][0]
    assert "MD5" in message
    assert "32 hexadecimal" in message or "only hexadecimal" in message
    assert not BankEntry.objects.exists()


def test_disabling_an_entry_needs_a_reason_and_keeps_when_and_why(admin) -> None:
    bank = make_bank()
    entry = banks.add_entry(bank, MD5_A, actor=admin.user)
    with pytest.raises(ValidationError):
        banks.set_entry_enabled(entry, False, reason="  ", actor=admin.user)
    banks.set_entry_enabled(entry, False, reason="matched a stock photo", actor=admin.user)
    entry.refresh_from_db()
    assert not entry.enabled
    assert entry.disabled_at is not None
    assert entry.disabled_reason == "matched a stock photo"
    [event] = audit_rows("hashmatch.entry_disabled")
    assert event.details == {"bank": bank.slug, "value": MD5_A, "reason": "matched a stock photo"}
    banks.set_entry_enabled(entry, True, actor=admin.user)
    entry.refresh_from_db()
    assert entry.enabled
    assert entry.disabled_at is None
    assert entry.disabled_reason == ""
    assert len(audit_rows("hashmatch.entry_enabled")) == 1


# --- Adding a decided case's media -------------------------------------------------------------


def test_kept_media_gives_every_signal_type_of_the_original_file(cast) -> None:
    moderator = cast["moderator"].user
    case = decided_case(moderator)
    original = photo()
    keep_media(case.pk, original, "image/png")
    md5_bank = make_bank("md5-bank", "md5")
    pdq_bank = make_bank("pdq-bank", "pdq")
    result = banks.add_case_media_to_bank(case, md5_bank, note="seen", actor=moderator)
    assert [entry.value for entry in result.added] == [hashlib.md5(original).hexdigest()]
    assert result.source == "media kept for the case"
    entry = result.added[0]
    assert entry.origin == f"case {case.public_id}"
    assert entry.added_by == moderator
    assert entry.note == "seen"
    pdq = banks.add_case_media_to_bank(case, pdq_bank, actor=moderator)
    expected = hash_media(original).pdq
    assert expected is not None
    assert [entry.value for entry in pdq.added] == [expected.hash]
    [first, _second] = audit_rows("hashmatch.case_media_added")
    assert first.actor == moderator
    assert first.details["case"] == str(case.public_id)
    assert first.details["values"] == [hashlib.md5(original).hexdigest()]
    assert first.details["source"] == "media kept for the case"


def test_a_pdq_bank_takes_the_reported_image_fetched_for_review(cast, media_server) -> None:
    moderator = cast["moderator"].user
    picture = photo(seed=2)
    media_server.media["/p.png"] = ("image/png", picture)
    case = decided_case(moderator, media_url=media_server.url("/p.png"))
    bank = make_bank("pdq-bank", "pdq")
    result = banks.add_case_media_to_bank(case, bank, actor=moderator)
    expected = hash_media(picture).pdq
    assert expected is not None
    assert [entry.value for entry in result.added] == [expected.hash]  # same pixels, same PDQ
    assert result.source == "reported media"


def test_an_exact_bank_takes_the_media_hash_the_platform_sent(cast) -> None:
    moderator = cast["moderator"].user
    case = decided_case(moderator, media_hash="sha256:" + SHA_A.upper())
    sha_bank = make_bank("sha-bank", "sha256")
    md5_bank = make_bank("md5-bank", "md5")
    result = banks.add_case_media_to_bank(case, sha_bank, actor=moderator)
    assert [entry.value for entry in result.added] == [SHA_A]
    assert result.source == "the media hash sent with the report"
    with pytest.raises(banks.NoUsableHash, match="no report carries a md5: hash"):
        banks.add_case_media_to_bank(case, md5_bank, actor=moderator)
    assert not BankEntry.objects.filter(bank=md5_bank).exists()


def test_reported_media_is_never_used_for_exact_hashes(cast, media_server) -> None:
    """The review copy is re-encoded: its MD5 is not the original's and would never match."""
    moderator = cast["moderator"].user
    media_server.media["/p.png"] = ("image/png", photo())
    case = decided_case(moderator, media_url=media_server.url("/p.png"))
    with pytest.raises(banks.NoUsableHash):
        banks.add_case_media_to_bank(case, make_bank("md5-bank", "md5"), actor=moderator)
    assert not BankEntry.objects.exists()


def test_a_flat_image_has_no_usable_pdq_and_the_message_says_why(cast, media_server) -> None:
    moderator = cast["moderator"].user
    media_server.media["/flat.png"] = ("image/png", flat_image())
    case = decided_case(moderator, media_url=media_server.url("/flat.png"))
    with pytest.raises(banks.NoUsableHash) as caught:
        banks.add_case_media_to_bank(case, make_bank("pdq-bank", "pdq"), actor=moderator)
    message = str(caught.value)
    assert "no usable PDQ" in message
    assert "quality" in message
    assert not BankEntry.objects.exists()
    assert not audit_rows("hashmatch.case_media_added")


def test_unreachable_media_is_explained(cast, media_server) -> None:
    moderator = cast["moderator"].user
    case = decided_case(moderator, media_url=media_server.url("/gone.png"))
    with pytest.raises(banks.NoUsableHash, match="reported media"):
        banks.add_case_media_to_bank(case, make_bank("pdq-bank", "pdq"), actor=moderator)


@pytest.mark.parametrize("action", ["no_violation"])
def test_content_found_not_violating_never_enters_a_bank(cast, action) -> None:
    moderator = cast["moderator"].user
    case = decided_case(moderator, action=action, media_hash="md5:" + MD5_A)
    with pytest.raises(banks.BankError, match="decided as a violation"):
        banks.add_case_media_to_bank(case, make_bank(), actor=moderator)
    assert not BankEntry.objects.exists()


def test_an_undecided_or_appealed_case_cannot_be_added(cast) -> None:
    load_reference_data()
    submit_report(
        ReportData(content_id="p", category="spam", content_type="image", media_hash="md5:" + MD5_A)
    )
    case = Case.objects.get()
    with pytest.raises(banks.BankError, match="decided as a violation"):
        banks.add_case_media_to_bank(case, make_bank(), actor=cast["moderator"].user)
    Case.objects.filter(pk=case.pk).update(state=CaseState.APPEALED)
    case.refresh_from_db()
    with pytest.raises(banks.BankError, match="under appeal"):
        banks.add_case_media_to_bank(case, HashBank.objects.get(), actor=cast["moderator"].user)


def test_media_already_in_the_bank_adds_nothing_and_writes_no_row(cast) -> None:
    moderator = cast["moderator"].user
    case = decided_case(moderator, media_hash="md5:" + MD5_A)
    bank = make_bank()
    banks.add_entry(bank, MD5_A, actor=None)
    result = banks.add_case_media_to_bank(case, bank, actor=moderator)
    assert result.added == []
    assert result.already_in_bank == [MD5_A]
    assert BankEntry.objects.count() == 1
    assert not audit_rows("hashmatch.case_media_added")
