"""The directory's staff pages: list, entry, edit, retire, import (preview, confirm), export,
stale list. Each validates with a form, fetches through access.py and calls one service."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeharbor.core.audit import record_audit
from safeharbor.safety import directory_io, services
from safeharbor.safety.access import (
    editable_organizations_for_user,
    get_organization_for_user,
    require_directory_editor,
)
from safeharbor.safety.forms import DirectoryFilterForm, ImportForm, OrganizationForm, RetireForm

PAGE_SIZE = 50
PENDING_IMPORT = "safety_pending_import"


@login_required
@require_GET
def directory_list_view(request: HttpRequest) -> HttpResponse:
    require_directory_editor(request.user)
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    organizations = services.search_directory(
        text=filters.get("q", ""),
        country=filters.get("country", ""),
        kind=filters.get("kind", ""),
        topic=filters.get("topic", ""),
        status=filters.get("status", ""),
        stale_only=filters.get("stale", False),
    )
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "safety/staff/directory_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "today": timezone.localdate()},
    )


@login_required
@require_GET
def directory_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_organization_for_user(request.user, slug)
    return render(
        request,
        "safety/staff/directory_detail.html",
        {"organization": organization, "stale": organization.is_stale()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def directory_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_organization_for_user(request.user, slug)
    form = OrganizationForm(
        request.POST if request.method == "POST" else None,
        initial=OrganizationForm.initial_for(organization),
    )
    if request.method == "POST" and form.is_valid():
        services.update_organization(
            organization,
            form.changes(),
            actor=request.user,
            request=request,
            verified_source=form.cleaned_data["verified_source"]
            if form.cleaned_data["verified_today"]
            else "",
        )
        messages.success(request, _("The entry was saved."))
        return HttpResponseRedirect(reverse("safety:directory_detail", args=[slug]))
    return render(
        request,
        "safety/staff/directory_edit.html",
        {"organization": organization, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def directory_retire_view(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_organization_for_user(request.user, slug)
    form = RetireForm(request.POST if request.method == "POST" else None, organization=organization)
    if request.method == "POST" and form.is_valid():
        services.retire_organization(
            organization,
            actor=request.user,
            replaced_by=form.cleaned_data["replaced_by"],
            request=request,
        )
        messages.success(request, _("The entry is no longer shown."))
        return HttpResponseRedirect(reverse("safety:directory_detail", args=[slug]))
    return render(
        request,
        "safety/staff/directory_retire.html",
        {"organization": organization, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _parse_upload(request: HttpRequest, name: str, content: bytes) -> directory_io.ParsedDirectory:
    known = editable_organizations_for_user(request.user).values_list("slug", flat=True)
    return directory_io.parse_file(content, name, known_slugs=known)


@login_required
@require_http_methods(["GET", "POST"])
def directory_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a file and see the row report; nothing is written until it is confirmed."""
    require_directory_editor(request.user)
    form = ImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            text = content.decode("utf-8-sig")
            parsed = _parse_upload(request, upload.name, content)
        except UnicodeDecodeError:
            form.add_error("file", _("Save the file as UTF-8 text and upload it again."))
        except directory_io.FileRejected as error:
            form.add_error("file", str(error))
        else:
            preview = services.import_directory(parsed, dry_run=True)
            token = secrets.token_urlsafe(16)
            request.session[PENDING_IMPORT] = {
                "token": token,
                "name": upload.name,
                "content": text,
                "skip_bad": form.cleaned_data["skip_bad"],
            }
            context.update(
                preview=preview,
                token=token,
                skip_bad=form.cleaned_data["skip_bad"],
                can_apply=not preview.problems or form.cleaned_data["skip_bad"],
            )
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "safety/staff/directory_import.html", context, status=status)


@login_required
@require_POST
def directory_import_confirm_view(request: HttpRequest) -> HttpResponse:
    require_directory_editor(request.user)
    pending = request.session.get(PENDING_IMPORT)
    if not pending or pending["token"] != request.POST.get("token"):
        messages.error(request, _("That import preview has expired; upload the file again."))
        return HttpResponseRedirect(reverse("safety:directory_import"))
    del request.session[PENDING_IMPORT]
    try:
        parsed = _parse_upload(request, pending["name"], pending["content"].encode())
    except directory_io.FileRejected as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("safety:directory_import"))
    result = services.import_directory(
        parsed, actor=request.user, request=request, skip_bad=pending["skip_bad"]
    )
    if result.applied:
        messages.success(request, result.summary())
        return HttpResponseRedirect(reverse("safety:directory_list"))
    messages.error(request, _("Nothing was imported: the file has problems."))
    return HttpResponseRedirect(reverse("safety:directory_import"))


@login_required
@require_GET
def directory_export_view(request: HttpRequest) -> HttpResponse:
    require_directory_editor(request.user)
    file_format = request.GET.get("format", "json")
    if file_format not in ("json", "csv"):
        raise Http404
    body = directory_io.export_csv() if file_format == "csv" else directory_io.export_json()
    content_type = "text/csv" if file_format == "csv" else "application/json"
    name = f"safeharbor-directory-{timezone.localdate().isoformat()}.{file_format}"
    record_audit("safety.directory_exported", request=request, details={"format": file_format})
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def directory_stale_view(request: HttpRequest) -> HttpResponse:
    require_directory_editor(request.user)
    organizations = services.stale_organizations()
    return render(
        request,
        "safety/staff/directory_stale.html",
        {"organizations": organizations, "today": timezone.localdate()},
    )
