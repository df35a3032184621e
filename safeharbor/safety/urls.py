from django.urls import include, path

from safeharbor.safety import views

app_name = "safety"

urlpatterns: list = [
    path("", views.home_view, name="home"),
    path("help/", views.help_view, name="help"),
    path("partners/", views.partners_view, name="partners"),
    path("report-csam/", views.report_csam_view, name="report_csam"),
    path("tips/", views.tips_view, name="tips"),
    path("account-security/", views.account_security_view, name="account_security"),
    path("staff/directory/", include("safeharbor.safety.directory_urls")),
    path("staff/interventions/", include("safeharbor.safety.interventions.urls")),
]
