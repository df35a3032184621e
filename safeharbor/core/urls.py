from django.urls import path

from safeharbor.core import views

app_name = "core"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("staff/audit/", views.audit_list_view, name="audit_list"),
    path("webhooks/", views.webhook_list_view, name="webhook_list"),
    path("webhooks/endpoints/new/", views.webhook_endpoint_view, name="webhook_endpoint_new"),
    path(
        "webhooks/endpoints/<int:endpoint_id>/",
        views.webhook_endpoint_view,
        name="webhook_endpoint",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/replay/",
        views.webhook_replay_view,
        name="webhook_replay",
    ),
    path("healthz", views.healthz_view, name="healthz"),
    path("readyz", views.readyz_view, name="readyz"),
]
