"""Hash bank pages under /hashes/: banks and their entries, import and export, enabling and
disabling, recent matches, and adding a reviewed case's media to a bank. Each view checks its
input with a form, fetches through access.py and calls one service in banks.py."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeharbor.hashmatch import bank_io, banks
from safeharbor.hashmatch.access import (
    banks_for_case_entries,
    get_bank_for_user,
    get_case_for_bank_entry,
    get_entry_of_bank,
    get_managed_bank_for_user,
    managed_banks_for_user,
    match_roles_for,
    may_manage_banks,
    visible_banks_for_user,
    visible_matches_for_user,
)
from safeharbor.hashmatch.forms import (
    BankFilterForm,
    BankForm,
    CaseEntryForm,
    EntryFilterForm,
    EntryForm,
    ExportForm,
    ImportForm,
    MatchFilterForm,
    ReasonForm,
)
from safeharbor.hashmatch.models import BankEntry, HashBank, HashMatch
from safeharbor.moderation.access import case_roles_for

BANKS_PER_PAGE = 50
ENTRIES_PER_PAGE = 100
MATCHES_PER_PAGE = 50
PENDING_IMPORT = "hashmatch_pending_import"
PENDING_DIR = "hashmatch-pending-imports"
PENDING_MAX_AGE = timedelta(hours=6)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _count_of(model: type[BankEntry] | type[HashMatch], **filters: Any) -> Coalesce:
    counted = (
        model.objects.filter(bank=OuterRef("pk"), **filters)
        .order_by()
        .values("bank")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- Banks -------------------------------------------------------------------------------------


@login_required
@require_GET
def bank_list_view(request: HttpRequest) -> HttpResponse:
    bank_rows = visible_banks_for_user(request.user)
    form = BankFilterForm(request.GET or None)
    if form.is_valid():
        bank_rows = form.filter(bank_rows)
    counted = bank_rows.annotate(
        enabled_entries=_count_of(BankEntry, enabled=True),
        match_count=_count_of(HashMatch),
    )
    page = Paginator(counted.order_by("name", "pk"), BANKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "hashmatch/bank_list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
        },
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


@login_required
@require_GET
def bank_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    bank = get_bank_for_user(request.user, slug)
    form = EntryFilterForm(request.GET or None)
    entries = BankEntry.objects.filter(bank=bank).select_related("added_by").order_by("-pk")
    if form.is_valid():
        entries = form.filter(entries)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "hashmatch/bank_detail.html",
        {
            "bank": bank,
            "counts": banks.bank_counts(bank),
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "can_manage": may_manage_banks(request.user),
        },
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


def _field_errors(form: Any, error: ValidationError) -> None:
    for name, field_errors in error.message_dict.items():
        form.add_error(name if name in form.fields else None, field_errors)


@login_required
@require_http_methods(["GET", "POST"])
def bank_create_view(request: HttpRequest) -> HttpResponse:
    managed_banks_for_user(request.user)
    form = BankForm(request.POST if request.method == "POST" else None, creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bank = banks.create_bank(
                slug=data["slug"],
                name=data["name"],
                signal_type=data["signal_type"],
                category=data["category"],
                description=data["description"],
                source=data["source"],
                severity_tier=data["severity_tier"],
                enabled=data["enabled"],
                match_threshold=data["match_threshold"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            _field_errors(form, error)
        else:
            messages.success(request, _("The bank “%(name)s” is created.") % {"name": bank.name})
            return redirect("hashmatch:bank_detail", slug=bank.slug)
    return render(
        request,
        "hashmatch/bank_form.html",
        {"form": form, "bank": None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def bank_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    bank = get_managed_bank_for_user(request.user, slug)
    form = BankForm(
        request.POST if request.method == "POST" else None,
        initial=BankForm.initial_for(bank),
        creating=False,
    )
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in banks.EDITABLE_FIELDS}
        if changes["severity_tier"] is None:
            changes["severity_tier"] = changes["category"].severity_tier
        try:
            banks.update_bank(bank, changes, actor=request.user, request=request)
        except ValidationError as error:
            _field_errors(form, error)
        else:
            messages.success(request, _("The bank is saved."))
            return redirect("hashmatch:bank_detail", slug=bank.slug)
    return render(
        request,
        "hashmatch/bank_form.html",
        {"form": form, "bank": bank},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def bank_enable_view(request: HttpRequest, slug: str, enable: bool) -> HttpResponse:
    bank = get_managed_bank_for_user(request.user, slug)
    form = ReasonForm(request.POST if request.method == "POST" else None, required=False)
    if request.method == "POST" and form.is_valid():
        banks.set_bank_enabled(
            bank,
            enable,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            request=request,
        )
        messages.success(
            request,
            _("The bank is enabled: it matches again.")
            if enable
            else _("The bank is disabled: it matches nothing until enabled again."),
        )
        return redirect("hashmatch:bank_detail", slug=bank.slug)
    return render(
        request,
        "hashmatch/bank_confirm.html",
        {
            "bank": bank,
            "form": form,
            "action": "enable" if enable else "disable",
            "counts": banks.bank_counts(bank),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def bank_delete_view(request: HttpRequest, slug: str) -> HttpResponse:
    bank = get_managed_bank_for_user(request.user, slug)
    counts = banks.bank_counts(bank)
    context = {"bank": bank, "counts": counts, "action": "delete", "form": None}
    if request.method == "POST":
        try:
            removed = banks.delete_bank(bank, actor=request.user, request=request)
        except banks.BankInUse as error:
            messages.error(request, str(error))
            return render(request, "hashmatch/bank_confirm.html", context, status=409)
        messages.success(
            request,
            _("The bank “%(name)s” and its %(count)s entries are deleted.")
            % {"name": bank.name, "count": removed},
        )
        return redirect("hashmatch:bank_list")
    return render(request, "hashmatch/bank_confirm.html", context)


# --- Entries -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def entry_add_view(request: HttpRequest, slug: str) -> HttpResponse:
    bank = get_managed_bank_for_user(request.user, slug)
    form = EntryForm(request.POST if request.method == "POST" else None, bank=bank)
    if request.method == "POST" and form.is_valid():
        try:
            banks.add_entry(
                bank,
                form.cleaned_data["value"],
                note=form.cleaned_data["note"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            _field_errors(form, error)
        except banks.BankError as error:
            form.add_error("value", str(error))
        else:
            messages.success(request, _("The hash is added."))
            return redirect("hashmatch:bank_detail", slug=bank.slug)
    return render(
        request,
        "hashmatch/entry_form.html",
        {"bank": bank, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_enable_view(request: HttpRequest, slug: str, entry_id: int, enable: bool) -> HttpResponse:
    bank = get_managed_bank_for_user(request.user, slug)
    entry = get_entry_of_bank(bank, entry_id)
    form = ReasonForm(request.POST if request.method == "POST" else None, required=not enable)
    if request.method == "POST" and form.is_valid():
        banks.set_entry_enabled(
            entry,
            enable,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            request=request,
        )
        messages.success(
            request,
            _("The entry is enabled.")
            if enable
            else _("The entry is disabled: it matches nothing."),
        )
        return redirect(f"{reverse('hashmatch:bank_detail', args=[bank.slug])}?q={entry.value}")
    return render(
        request,
        "hashmatch/entry_confirm.html",
        {"bank": bank, "entry": entry, "form": form, "enable": enable},
        status=400 if request.method == "POST" else 200,
    )


# --- Import and export -------------------------------------------------------------------------


def _forget_stale_uploads() -> None:
    """Uploads previewed but never confirmed are removed after PENDING_MAX_AGE."""
    try:
        _dirs, files = default_storage.listdir(PENDING_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - PENDING_MAX_AGE
    for name in files:
        path = f"{PENDING_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            continue


def _drop_pending(request: HttpRequest) -> None:
    pending = request.session.pop(PENDING_IMPORT, None)
    if pending:
        default_storage.delete(pending["path"])


@login_required
@require_http_methods(["GET", "POST"])
def bank_import_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a list and see what it would do (a dry run); nothing is written until confirmed."""
    bank = get_managed_bank_for_user(request.user, slug)
    form = ImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    context: dict[str, Any] = {"bank": bank, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = banks.import_entries(
                bank,
                upload,
                file_name=upload.name,
                actor=request.user,
                dry_run=True,
                skip_bad=form.cleaned_data["skip_bad"],
            )
        except bank_io.FileRejected as error:
            form.add_error(
                "file", _("%(file)s: %(problem)s.") % {"file": upload.name, "problem": error}
            )
        else:
            _forget_stale_uploads()
            _drop_pending(request)
            upload.seek(0)
            token = secrets.token_urlsafe(16)
            path = default_storage.save(f"{PENDING_DIR}/{token}", upload)
            request.session[PENDING_IMPORT] = {
                "token": token,
                "bank": bank.slug,
                "path": path,
                "name": upload.name,
                "skip_bad": form.cleaned_data["skip_bad"],
            }
            context.update(
                preview=preview,
                token=token,
                can_apply=preview.added > 0
                and (not preview.error_count or form.cleaned_data["skip_bad"]),
            )
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "hashmatch/bank_import.html", context, status=status)


@login_required
@require_POST
def bank_import_confirm_view(request: HttpRequest, slug: str) -> HttpResponse:
    bank = get_managed_bank_for_user(request.user, slug)
    pending = request.session.get(PENDING_IMPORT)
    if (
        not pending
        or pending["bank"] != bank.slug
        or not secrets.compare_digest(pending["token"], request.POST.get("token", ""))
    ):
        messages.error(request, _("That import preview has expired; upload the file again."))
        return redirect("hashmatch:bank_import", slug=bank.slug)
    del request.session[PENDING_IMPORT]
    try:
        with default_storage.open(pending["path"], "rb") as stream:
            result = banks.import_entries(
                bank,
                stream,
                file_name=pending["name"],
                actor=request.user,
                request=request,
                skip_bad=pending["skip_bad"],
            )
    except FileNotFoundError:
        messages.error(request, _("That import preview has expired; upload the file again."))
        return redirect("hashmatch:bank_import", slug=bank.slug)
    except bank_io.FileRejected as error:
        messages.error(request, str(error))
        return redirect("hashmatch:bank_import", slug=bank.slug)
    finally:
        default_storage.delete(pending["path"])
    if result.applied:
        messages.success(request, result.summary())
        return redirect("hashmatch:bank_detail", slug=bank.slug)
    messages.error(request, _("Nothing was imported: %(summary)s") % {"summary": result.summary()})
    return redirect("hashmatch:bank_import", slug=bank.slug)


@login_required
@require_GET
def bank_export_view(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    bank = get_managed_bank_for_user(request.user, slug)
    form = ExportForm(request.GET)
    if not form.is_valid():
        raise Http404
    file_format = form.cleaned_data["format"]
    lines = banks.export_entries(
        bank,
        file_format=file_format,
        include_disabled=form.cleaned_data["include_disabled"],
        actor=request.user,
        request=request,
    )
    content_type = "text/csv" if file_format == "csv" else "text/plain"
    response = StreamingHttpResponse(lines, content_type=f"{content_type}; charset=utf-8")
    name = f"{bank.slug}-{timezone.localdate().isoformat()}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Matches -----------------------------------------------------------------------------------


@login_required
@require_GET
def match_list_view(request: HttpRequest) -> HttpResponse:
    matches = visible_matches_for_user(request.user)
    bank_choices = HashBank.objects.filter(
        category__required_role__in=match_roles_for(request.user)
    ).order_by("name")
    form = MatchFilterForm(request.GET or None, banks=bank_choices)
    if form.is_valid():
        matches = form.filter(matches)
    page = Paginator(matches.order_by("-matched_at", "-pk"), MATCHES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "hashmatch/match_list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "case_roles": case_roles_for(request.user),
        },
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


# --- Adding a reviewed case's media ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_add_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Add the media of a case decided as a violation to a bank the user may add to."""
    case = get_case_for_bank_entry(request.user, public_id)
    choices = banks_for_case_entries(request.user).order_by("name")
    form = CaseEntryForm(request.POST if request.method == "POST" else None, banks=choices)
    status = 200
    try:
        banks.check_case_may_be_banked(case)
    except banks.BankError as error:
        problem, can_add = str(error), False
        status = 409 if request.method == "POST" else 200
    else:
        problem, can_add = "", True
    if request.method == "POST" and can_add:
        if form.is_valid():
            bank = form.cleaned_data["bank"]
            try:
                result = banks.add_case_media_to_bank(
                    case,
                    bank,
                    note=form.cleaned_data["note"],
                    actor=request.user,
                    request=request,
                )
            except banks.BankError as error:
                problem = str(error)
                status = 409
            else:
                messages.success(request, _case_result_message(bank, result))
                return redirect("moderation:case_detail", public_id=case.public_id)
        else:
            status = 400
    return render(
        request,
        "hashmatch/case_add.html",
        {
            "case": case,
            "form": form,
            "problem": problem,
            "can_add": can_add,
            "has_banks": choices.exists(),
        },
        status=status,
    )


def _case_result_message(bank: HashBank, result: banks.CaseEntryResult) -> str:
    if not result.added:
        return _("The hash of this case's media is in “%(bank)s” already.") % {"bank": bank.name}
    return _("%(count)s hash(es) from the %(source)s added to “%(bank)s”.") % {
        "count": len(result.added),
        "source": result.source,
        "bank": bank.name,
    }
