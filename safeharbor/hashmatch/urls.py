"""Hash bank pages, mounted at /hashes/ (namespace "hashmatch")."""

from django.urls import path

from safeharbor.hashmatch import views

app_name = "hashmatch"

urlpatterns = [
    path("", views.bank_list_view, name="bank_list"),
    path("new/", views.bank_create_view, name="bank_create"),
    path("matches/", views.match_list_view, name="match_list"),
    path("cases/<uuid:public_id>/add/", views.case_add_view, name="case_add"),
    path("<slug:slug>/", views.bank_detail_view, name="bank_detail"),
    path("<slug:slug>/edit/", views.bank_edit_view, name="bank_edit"),
    path("<slug:slug>/enable/", views.bank_enable_view, {"enable": True}, name="bank_enable"),
    path("<slug:slug>/disable/", views.bank_enable_view, {"enable": False}, name="bank_disable"),
    path("<slug:slug>/delete/", views.bank_delete_view, name="bank_delete"),
    path("<slug:slug>/import/", views.bank_import_view, name="bank_import"),
    path("<slug:slug>/import/confirm/", views.bank_import_confirm_view, name="bank_import_confirm"),
    path("<slug:slug>/export/", views.bank_export_view, name="bank_export"),
    path("<slug:slug>/entries/new/", views.entry_add_view, name="entry_add"),
    path(
        "<slug:slug>/entries/<int:entry_id>/enable/",
        views.entry_enable_view,
        {"enable": True},
        name="entry_enable",
    ),
    path(
        "<slug:slug>/entries/<int:entry_id>/disable/",
        views.entry_enable_view,
        {"enable": False},
        name="entry_disable",
    ),
]
