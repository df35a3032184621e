"""The hash bank pages under /hashes/: who may see what (the permission matrix), lists with
search, filters and pagination, confirmation pages for every change, import preview and confirm,
export, recent matches, and "add to a hash bank" from a decided case."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeharbor.accounts.middleware import MFA_SESSION_KEY
from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.matrix import assert_access
from safeharbor.hashmatch import banks, forms
from safeharbor.hashmatch.models import BankEntry, HashBank, HashMatch
from safeharbor.hashmatch.tests.test_banks import MD5_A, decided_case, make_bank
from safeharbor.moderation.models import Case

pytestmark = pytest.mark.django_db

MD5 = [hashlib.md5(str(i).encode()).hexdigest() for i in range(1, 8)]
ADMIN = {"admin"}
VIEWERS = {"admin", "child_safety"}


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bank(cast: Any) -> HashBank:
    bank = make_bank("iwf-md5", "md5", source="IWF hash list")
    for value in MD5[:3]:
        banks.add_entry(bank, value, actor=None)
    return bank


@pytest.fixture
def csam_bank(cast: Any) -> HashBank:
    return make_bank("ncmec-md5", "md5", category="child-sexual-abuse-material")


def upload(content: bytes, name: str = "list.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def html(response: Any) -> str:
    return response.content.decode()


# --- Who may see what --------------------------------------------------------------------------


def test_bank_pages_are_for_admins_and_child_safety_and_changes_for_admins(cast, bank) -> None:
    entry = BankEntry.objects.filter(bank=bank).first()
    assert entry is not None
    assert_access(cast, "get", "/hashes/", allowed=VIEWERS)
    assert_access(cast, "get", f"/hashes/{bank.slug}/", allowed=VIEWERS)
    assert_access(cast, "get", "/hashes/matches/", allowed=VIEWERS)
    for path in [
        "/hashes/new/",
        f"/hashes/{bank.slug}/edit/",
        f"/hashes/{bank.slug}/enable/",
        f"/hashes/{bank.slug}/disable/",
        f"/hashes/{bank.slug}/delete/",
        f"/hashes/{bank.slug}/import/",
        f"/hashes/{bank.slug}/export/?format=csv",
        f"/hashes/{bank.slug}/entries/new/",
        f"/hashes/{bank.slug}/entries/{entry.pk}/disable/",
        f"/hashes/{bank.slug}/entries/{entry.pk}/enable/",
    ]:
        assert_access(cast, "get", path, allowed=ADMIN)
    assert_access(
        cast, "post", f"/hashes/{bank.slug}/import/confirm/", allowed=ADMIN, allowed_status=302
    )
    assert_access(cast, "get", "/hashes/no-such-bank/", allowed=set(), roles=["admin"])


def test_state_changing_posts_are_refused_to_everyone_but_admins(cast, bank) -> None:
    entry = BankEntry.objects.filter(bank=bank).first()
    assert entry is not None
    others = ["triager", "moderator", "child_safety", "transparency_editor", "researcher", "anon"]
    for path, data in [
        (
            "/hashes/new/",
            {
                "slug": "x",
                "name": "X",
                "signal_type": "md5",
                "category": "spam",
                "match_threshold": 31,
            },
        ),
        (f"/hashes/{bank.slug}/disable/", {"reason": "r"}),
        (f"/hashes/{bank.slug}/delete/", {}),
        (f"/hashes/{bank.slug}/entries/new/", {"value": MD5[5]}),
        (f"/hashes/{bank.slug}/entries/{entry.pk}/disable/", {"reason": "r"}),
    ]:
        assert_access(cast, "post", path, allowed=set(), data=data, roles=others)
    assert HashBank.objects.count() == 1
    assert HashBank.objects.get().enabled
    assert BankEntry.objects.filter(enabled=True).count() == 3


def test_an_entry_of_another_bank_is_not_found(cast, bank) -> None:
    other = make_bank("other")
    foreign = banks.add_entry(other, MD5_A, actor=None)
    client = cast["admin"].client
    assert client.get(f"/hashes/{bank.slug}/entries/{foreign.pk}/disable/").status_code == 404


def test_posts_without_a_csrf_token_are_refused(cast, bank) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["admin"].user)
    session = client.session
    session[MFA_SESSION_KEY] = True
    session.save()
    response = client.post(f"/hashes/{bank.slug}/disable/", {"reason": "r"})
    assert response.status_code == 403
    bank.refresh_from_db()
    assert bank.enabled


def test_the_navigation_shows_hash_banks_to_those_who_may_see_them(cast) -> None:
    for role, shown in [("admin", True), ("child_safety", True), ("moderator", False)]:
        page = html(cast[role].client.get("/"))
        assert ('href="/hashes/"' in page) is shown, role


# --- Lists -------------------------------------------------------------------------------------


def test_the_bank_list_counts_enabled_entries_and_matches_in_constant_queries(
    cast, bank, django_assert_max_num_queries
) -> None:
    banks.set_entry_enabled(BankEntry.objects.get(value=MD5[0]), False, reason="r", actor=None)
    HashMatch.objects.create(content_id="c1", signal_type="md5", query_hash=MD5[1], bank=bank)
    for number in range(5):
        make_bank(f"pdq-{number}", "pdq")
    client = cast["child_safety"].client
    with django_assert_max_num_queries(12):
        response = client.get("/hashes/")
    assert response.status_code == 200
    row = next(line for line in html(response).split("<tr>") if "iwf-md5" in line)
    assert "<td>2</td>" in row  # enabled entries
    assert "<td>1</td>" in row  # matches
    assert "New bank" not in html(response)  # child-safety views, does not manage


def test_the_bank_list_searches_and_filters(cast, bank) -> None:
    make_bank("stopncii-pdq", "pdq", source="StopNCII")
    banks.set_bank_enabled(HashBank.objects.get(slug="stopncii-pdq"), False, actor=None)
    client = cast["admin"].client
    assert "stopncii-pdq" not in html(client.get("/hashes/?q=iwf"))
    page = html(client.get("/hashes/?signal_type=pdq"))
    assert "stopncii-pdq" in page
    assert "iwf-md5" not in page
    page = html(client.get("/hashes/?enabled=no"))
    assert "stopncii-pdq" in page
    assert "iwf-md5" not in page
    assert client.get("/hashes/?signal_type=sha1").status_code == 400


def test_the_bank_page_finds_entries_by_prefix_and_state_and_pages_them(
    cast, bank, monkeypatch
) -> None:
    client = cast["admin"].client
    page = html(client.get(f"/hashes/{bank.slug}/?q={MD5[1][:31].upper()}"))
    assert MD5[1] in page
    assert MD5[0] not in page
    banks.set_entry_enabled(
        BankEntry.objects.get(value=MD5[2]), False, reason="stock photo", actor=None
    )
    page = html(client.get(f"/hashes/{bank.slug}/?state=disabled"))
    assert MD5[2] in page
    assert "stock photo" in page
    assert MD5[0] not in page
    assert client.get(f"/hashes/{bank.slug}/?q=xyz").status_code == 400
    from safeharbor.hashmatch import views

    monkeypatch.setattr(views, "ENTRIES_PER_PAGE", 2)
    first = html(client.get(f"/hashes/{bank.slug}/"))
    second = html(client.get(f"/hashes/{bank.slug}/?page=2"))
    assert MD5[2] in first
    assert MD5[0] not in first
    assert MD5[0] in second
    assert "Page 2 of 2" in second


# --- Creating, editing, enabling, deleting -----------------------------------------------------


def test_an_admin_creates_a_bank_with_the_categorys_tier(cast) -> None:
    make_bank("warmup")
    client = cast["admin"].client
    response = client.post(
        "/hashes/new/",
        {
            "slug": "ncmec-pdq",
            "name": "NCMEC PDQ",
            "signal_type": "pdq",
            "category": "child-sexual-abuse-material",
            "source": "NCMEC",
            "match_threshold": 28,
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    bank = HashBank.objects.get(slug="ncmec-pdq")
    assert (bank.severity_tier, bank.match_threshold, bank.enabled) == (1, 28, True)
    event = AuditEvent.objects.get(action="hashmatch.bank_created", target_id=str(bank.pk))
    assert event.actor == cast["admin"].user


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slug": "warmup"}, "slug"),
        ({"slug": "matches"}, "slug"),
        ({"match_threshold": 64}, "match_threshold"),
        ({"category": "no-such"}, "category"),
        ({"signal_type": "sha1"}, "signal_type"),
    ],
)
def test_a_bad_bank_form_is_400_with_the_fields_errors(cast, changes, field) -> None:
    make_bank("warmup")
    data = {
        "slug": "new-bank",
        "name": "N",
        "signal_type": "pdq",
        "category": "spam",
        "match_threshold": 31,
        **changes,
    }
    response = cast["admin"].client.post("/hashes/new/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert HashBank.objects.count() == 1


def test_editing_keeps_slug_and_signal_type(cast, bank) -> None:
    client = cast["admin"].client
    response = client.post(
        f"/hashes/{bank.slug}/edit/",
        {
            "name": "IWF list",
            "category": "hate",
            "match_threshold": 31,
            "signal_type": "pdq",
            "slug": "changed",
        },
    )
    assert response.status_code == 302
    bank.refresh_from_db()
    assert (bank.name, bank.category.slug, bank.severity_tier) == ("IWF list", "hate", 3)
    assert (bank.slug, bank.signal_type) == ("iwf-md5", "md5")
    event = AuditEvent.objects.get(action="hashmatch.bank_changed")
    assert event.details["changed"]["name"] == ["Iwf Md5", "IWF list"]


def test_disabling_a_bank_asks_first_and_then_records_the_reason(cast, bank) -> None:
    client = cast["admin"].client
    page = client.get(f"/hashes/{bank.slug}/disable/")
    assert page.status_code == 200
    assert "matches nothing" in html(page)
    bank.refresh_from_db()
    assert bank.enabled  # a GET changes nothing
    response = client.post(f"/hashes/{bank.slug}/disable/", {"reason": "checking"})
    assert response.status_code == 302
    bank.refresh_from_db()
    assert not bank.enabled
    assert AuditEvent.objects.get(action="hashmatch.bank_disabled").details == {
        "reason": "checking"
    }
    assert client.post(f"/hashes/{bank.slug}/enable/", {}).status_code == 302
    bank.refresh_from_db()
    assert bank.enabled


def test_deleting_a_bank_that_matched_is_refused_and_offers_to_disable(cast, bank) -> None:
    HashMatch.objects.create(content_id="c1", signal_type="md5", query_hash=MD5[0], bank=bank)
    client = cast["admin"].client
    page = html(client.get(f"/hashes/{bank.slug}/delete/"))
    assert "cannot be deleted" in page
    assert f"/hashes/{bank.slug}/disable/" in page
    response = client.post(f"/hashes/{bank.slug}/delete/")
    assert response.status_code == 409
    assert HashBank.objects.filter(pk=bank.pk).exists()


def test_deleting_a_bank_without_matches_removes_it(cast, bank) -> None:
    client = cast["admin"].client
    assert "3 entries are deleted for good" in html(client.get(f"/hashes/{bank.slug}/delete/"))
    response = client.post(f"/hashes/{bank.slug}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/hashes/"
    assert not HashBank.objects.exists()
    assert not BankEntry.objects.exists()


# --- Entries -----------------------------------------------------------------------------------


def test_adding_one_hash_validates_it(cast, bank) -> None:
    client = cast["admin"].client
    response = client.post(f"/hashes/{bank.slug}/entries/new/", {"value": MD5[5][:-1]})
    assert response.status_code == 400
    assert "expected 32 hexadecimal characters" in html(response)
    response = client.post(f"/hashes/{bank.slug}/entries/new/", {"value": MD5[0]})
    assert response.status_code == 400
    assert "already" in html(response)
    response = client.post(
        f"/hashes/{bank.slug}/entries/new/", {"value": MD5[5].upper(), "note": "n"}
    )
    assert response.status_code == 302
    assert BankEntry.objects.get(value=MD5[5]).added_by == cast["admin"].user


def test_disabling_an_entry_needs_a_reason(cast, bank) -> None:
    entry = BankEntry.objects.get(value=MD5[0])
    client = cast["admin"].client
    url = f"/hashes/{bank.slug}/entries/{entry.pk}/disable/"
    assert client.post(url, {"reason": ""}).status_code == 400
    entry.refresh_from_db()
    assert entry.enabled
    response = client.post(url, {"reason": "matched a logo"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert not entry.enabled
    assert entry.disabled_reason == "matched a logo"
    response = client.post(f"/hashes/{bank.slug}/entries/{entry.pk}/enable/", {})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.enabled


# --- Import and export -------------------------------------------------------------------------


def test_import_previews_then_imports_on_confirmation(cast, bank) -> None:
    client = cast["admin"].client
    content = "\n".join([MD5[0], MD5[3], MD5[4], MD5[4]]).encode()
    response = client.post(f"/hashes/{bank.slug}/import/", {"file": upload(content)})
    assert response.status_code == 200
    page = html(response)
    assert "4 hashes read from 4 lines, 2 would be added, 1 already in the bank, 1 repeated" in page
    assert BankEntry.objects.count() == 3  # nothing yet
    token = response.context["token"]
    response = client.post(f"/hashes/{bank.slug}/import/confirm/", {"token": token})
    assert response.status_code == 302
    assert BankEntry.objects.filter(bank=bank).count() == 5
    event = AuditEvent.objects.get(action="hashmatch.entries_imported")
    assert event.details["added"] == 2
    assert event.details["file"] == "list.txt"
    again = client.post(f"/hashes/{bank.slug}/import/confirm/", {"token": token})
    assert again.status_code == 302
    assert again["Location"].endswith("/import/")
    assert AuditEvent.objects.filter(action="hashmatch.entries_imported").count() == 1


def test_import_shows_bad_lines_and_offers_nothing_unless_asked(cast, bank) -> None:
    client = cast["admin"].client
    content = f"{MD5[3]}\nnot a hash\n{MD5[4]}\n".encode()
    response = client.post(f"/hashes/{bank.slug}/import/", {"file": upload(content)})
    page = html(response)
    assert "<td>2</td><td>an MD5 hash may contain only hexadecimal" in page
    assert "import/confirm/" not in page
    response = client.post(
        f"/hashes/{bank.slug}/import/", {"file": upload(content), "skip_bad": "on"}
    )
    assert "Import the good lines" in html(response)
    client.post(f"/hashes/{bank.slug}/import/confirm/", {"token": response.context["token"]})
    assert BankEntry.objects.filter(bank=bank).count() == 5


def test_a_forged_token_imports_nothing(cast, bank) -> None:
    client = cast["admin"].client
    client.post(f"/hashes/{bank.slug}/import/", {"file": upload(MD5[5].encode())})
    response = client.post(f"/hashes/{bank.slug}/import/confirm/", {"token": "guess"})
    assert response.status_code == 302
    assert BankEntry.objects.filter(bank=bank).count() == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty"),
        (b"# only a comment\n", "the file has no hashes"),
        (b"hash\ncaf\xe9\n", "line 2 is not UTF-8 text"),
        (b"\x1f\x8b\x08\x00", "gzip-compressed"),
    ],
)
def test_an_unreadable_upload_is_400_with_the_reason(cast, bank, content, message) -> None:
    response = cast["admin"].client.post(f"/hashes/{bank.slug}/import/", {"file": upload(content)})
    assert response.status_code == 400
    assert message in html(response)


def test_uploads_over_the_size_limit_are_refused(cast, bank, monkeypatch) -> None:
    monkeypatch.setattr(forms, "MAX_WEB_IMPORT_BYTES", 40)
    response = cast["admin"].client.post(
        f"/hashes/{bank.slug}/import/", {"file": upload(("\n".join(MD5)).encode())}
    )
    assert response.status_code == 400
    assert "larger than 10 MB" in html(response)


def test_export_downloads_the_bank_and_is_audited(cast, bank) -> None:
    client = cast["admin"].client
    response = client.get(f"/hashes/{bank.slug}/export/?format=txt")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="iwf-md5-')
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[1:] == MD5[:3]
    assert AuditEvent.objects.get(action="hashmatch.bank_exported").actor == cast["admin"].user
    assert client.get(f"/hashes/{bank.slug}/export/?format=xlsx").status_code == 404


# --- Matches -----------------------------------------------------------------------------------


def test_child_safety_matches_are_shown_only_to_child_safety(cast, bank, csam_bank) -> None:
    HashMatch.objects.create(
        content_id="spam-content", signal_type="md5", query_hash=MD5[0], bank=bank, distance=0
    )
    HashMatch.objects.create(
        content_id="csam-content", signal_type="md5", query_hash=MD5_A, bank=csam_bank
    )
    admin_page = html(cast["admin"].client.get("/hashes/matches/"))
    assert "spam-content" in admin_page
    assert "csam-content" not in admin_page
    specialist = html(cast["child_safety"].client.get("/hashes/matches/"))
    assert "spam-content" in specialist
    assert "csam-content" in specialist
    filtered = html(cast["child_safety"].client.get("/hashes/matches/?bank=ncmec-md5"))
    assert "csam-content" in filtered
    assert "spam-content" not in filtered
    assert cast["admin"].client.get("/hashes/matches/?bank=ncmec-md5").status_code == 400


def test_a_match_whose_case_became_child_safety_is_hidden_and_links_only_if_allowed(
    cast, bank
) -> None:
    case = decided_case(cast["moderator"].user)
    HashMatch.objects.create(
        content_id="c1", signal_type="md5", query_hash=MD5[0], bank=bank, case=case
    )
    link = f"/moderation/cases/{case.public_id}/"
    assert link in html(cast["child_safety"].client.get("/hashes/matches/"))
    admin_page = html(cast["admin"].client.get("/hashes/matches/"))
    assert "c1" in admin_page
    assert link not in admin_page
    Case.objects.filter(pk=case.pk).update(required_role="child-safety")
    assert "<code>c1</code>" not in html(cast["admin"].client.get("/hashes/matches/"))


# --- Adding a decided case's media -------------------------------------------------------------


def test_a_moderator_adds_a_decided_case_to_a_bank_from_the_case_page(cast, bank, csam_bank):
    moderator = cast["moderator"]
    case = decided_case(moderator.user, media_hash="md5:" + MD5[6])
    case_page = html(moderator.client.get(f"/moderation/cases/{case.public_id}/"))
    add_url = reverse("hashmatch:case_add", args=[case.public_id])
    assert add_url in case_page
    page = moderator.client.get(add_url)
    assert page.status_code == 200
    assert "iwf-md5" in html(page)
    assert "ncmec-md5" not in html(page)
    refused = moderator.client.post(add_url, {"bank": "ncmec-md5"})
    assert refused.status_code == 400
    response = moderator.client.post(add_url, {"bank": "iwf-md5", "note": "spam wave"})
    assert response.status_code == 302
    assert response["Location"] == f"/moderation/cases/{case.public_id}/"
    entry = BankEntry.objects.get(value=MD5[6])
    assert (entry.bank, entry.origin, entry.added_by, entry.note) == (
        bank,
        f"case {case.public_id}",
        moderator.user,
        "spam wave",
    )
    event = AuditEvent.objects.get(action="hashmatch.case_media_added")
    assert event.actor == moderator.user
    assert event.details["values"] == [MD5[6]]


def test_child_safety_may_add_to_child_safety_banks(cast, csam_bank) -> None:
    specialist = cast["child_safety"]
    case = decided_case(
        specialist.user, category="child-sexual-abuse-material", media_hash="md5:" + MD5_A
    )
    url = reverse("hashmatch:case_add", args=[case.public_id])
    assert cast["moderator"].client.get(url).status_code == 404  # may not see the case
    assert specialist.client.post(url, {"bank": "ncmec-md5"}).status_code == 302
    assert BankEntry.objects.get(bank=csam_bank).value == MD5_A


def test_only_holders_of_the_permission_may_add_from_a_case(cast, bank) -> None:
    case = decided_case(cast["moderator"].user, media_hash="md5:" + MD5[6])
    url = reverse("hashmatch:case_add", args=[case.public_id])
    assert_access(cast, "get", url, allowed={"moderator", "child_safety"})


def test_a_case_without_a_usable_hash_says_why(cast, bank) -> None:
    moderator = cast["moderator"]
    case = decided_case(moderator.user)
    url = reverse("hashmatch:case_add", args=[case.public_id])
    response = moderator.client.post(url, {"bank": "iwf-md5"})
    assert response.status_code == 409
    assert "no report carries a md5: hash" in html(response)
    assert BankEntry.objects.filter(bank=bank).count() == 3


def test_no_add_link_or_form_for_a_case_found_not_violating(cast, bank) -> None:
    moderator = cast["moderator"]
    case = decided_case(moderator.user, action="no_violation", media_hash="md5:" + MD5[6])
    url = reverse("hashmatch:case_add", args=[case.public_id])
    assert url not in html(moderator.client.get(f"/moderation/cases/{case.public_id}/"))
    page = moderator.client.get(url)
    assert "decided as a violation" in html(page)
    assert 'name="bank"' not in html(page)
    assert moderator.client.post(url, {"bank": "iwf-md5"}).status_code == 409
    assert not BankEntry.objects.filter(value=MD5[6]).exists()


def test_the_case_page_shows_no_add_link_to_reviewers_without_the_permission(cast, bank) -> None:
    from django.contrib.auth.models import Group

    case = decided_case(cast["moderator"].user, media_hash="md5:" + MD5[6])
    Group.objects.get(name="T&S moderator").permissions.remove(
        *Group.objects.get(name="T&S moderator").permissions.filter(codename="add_bankentry")
    )
    client = cast["moderator"].client
    url = reverse("hashmatch:case_add", args=[case.public_id])
    assert url not in html(client.get(f"/moderation/cases/{case.public_id}/"))
    assert client.get(url).status_code == 404


def test_uploads_are_read_like_the_command_line_reads_files(cast, bank) -> None:
    """An upload with CRLF and a byte-order mark is read like the command line reads it."""
    content = ("\ufeffhash,note\r\n" + f"{MD5[5]},from the web\r\n").encode()
    client = cast["admin"].client
    response = client.post(f"/hashes/{bank.slug}/import/", {"file": upload(content, "x.csv")})
    client.post(f"/hashes/{bank.slug}/import/confirm/", {"token": response.context["token"]})
    assert BankEntry.objects.get(value=MD5[5]).note == "from the web"


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_match_list_and_bank_page_cost_the_same_queries_for_more_rows(cast, bank) -> None:
    client = cast["child_safety"].client

    def add_matches(count: int, start: int) -> None:
        for number in range(start, start + count):
            case = decided_case(cast["moderator"].user, content_id=f"post-{number}")
            HashMatch.objects.create(
                content_id=f"post-{number}",
                signal_type="md5",
                query_hash=MD5[0],
                bank=bank,
                case=case,
            )

    add_matches(2, 0)
    few = _queries_for(client, "/hashes/matches/")
    few_entries = _queries_for(client, f"/hashes/{bank.slug}/")
    add_matches(4, 2)
    for value in MD5[3:]:
        banks.add_entry(bank, value, actor=cast["admin"].user)
    assert _queries_for(client, "/hashes/matches/") == few
    assert _queries_for(client, f"/hashes/{bank.slug}/") == few_entries
