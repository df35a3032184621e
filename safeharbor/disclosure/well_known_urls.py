"""/.well-known/ addresses served by the disclosure program (RFC 8615)."""

from django.urls import path

from safeharbor.disclosure import views

urlpatterns = [
    path("security.txt", views.security_txt_view, name="security_txt"),
    path(
        "csaf/provider-metadata.json",
        views.csaf_provider_metadata_view,
        name="csaf_provider_metadata",
    ),
    path("csaf/white/", views.csaf_directory_view, name="csaf_white_directory"),
    path("csaf/white/index.txt", views.csaf_index_view, name="csaf_white_index"),
    path("csaf/white/changes.csv", views.csaf_changes_view, name="csaf_white_changes"),
    path(
        "csaf/white/<str:year>/<str:name>.json",
        views.csaf_advisory_view,
        name="csaf_white_advisory",
    ),
]
