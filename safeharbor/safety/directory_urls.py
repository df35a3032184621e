"""The directory's staff pages, included at /safety/staff/directory/ (namespace "safety")."""

from django.urls import path

from safeharbor.safety import directory_views as views

urlpatterns = [
    path("", views.directory_list_view, name="directory_list"),
    path("stale/", views.directory_stale_view, name="directory_stale"),
    path("import/", views.directory_import_view, name="directory_import"),
    path("import/confirm/", views.directory_import_confirm_view, name="directory_import_confirm"),
    path("export/", views.directory_export_view, name="directory_export"),
    path("<slug:slug>/", views.directory_detail_view, name="directory_detail"),
    path("<slug:slug>/edit/", views.directory_edit_view, name="directory_edit"),
    path("<slug:slug>/retire/", views.directory_retire_view, name="directory_retire"),
]
