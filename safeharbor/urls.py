from django.contrib import admin
from django.urls import include, path

from safeharbor.api import api
from safeharbor.core.views import password_change_redirect, staff_login_redirect
from safeharbor.passwords.views import range_view

admin.site.site_header = "Safeharbor administration"
admin.site.site_title = "Safeharbor"
# Sign-in happens only on Safeharbor's own page (throttled, audited, with MFA), never the admin's.
admin.site.login = staff_login_redirect  # type: ignore[method-assign]
admin.site.password_change = password_change_redirect  # type: ignore[method-assign,assignment]

urlpatterns = [
    path("", include("safeharbor.core.urls")),
    path("accounts/", include("safeharbor.accounts.urls")),
    path("passwords/", include("safeharbor.passwords.urls")),
    path("safety/", include("safeharbor.safety.urls")),
    path("moderation/", include("safeharbor.moderation.urls")),
    path("hashes/", include("safeharbor.hashmatch.urls")),
    path("security/", include("safeharbor.disclosure.urls")),
    path(".well-known/", include("safeharbor.disclosure.well_known_urls")),
    path("range/<str:prefix>", range_view, name="pwned_range"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler403 = "safeharbor.core.views.error_403_view"
handler404 = "safeharbor.core.views.error_404_view"
handler500 = "safeharbor.core.views.error_500_view"
