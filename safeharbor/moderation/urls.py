from django.urls import path

from safeharbor.moderation import views

app_name = "moderation"

urlpatterns = [
    path("report/", views.report_view, name="report"),
    path("report/thanks/", views.report_thanks_view, name="report_thanks"),
    path("queues/", views.queue_list_view, name="queue_list"),
    path("queues/<slug:slug>/", views.queue_detail_view, name="queue_detail"),
    path("queues/<slug:slug>/claim-next/", views.claim_next_view, name="claim_next"),
    path("cases/<uuid:public_id>/", views.case_detail_view, name="case_detail"),
    path("cases/<uuid:public_id>/claim/", views.case_claim_view, name="case_claim"),
    path("cases/<uuid:public_id>/renew/", views.case_renew_view, name="case_renew"),
    path("cases/<uuid:public_id>/release/", views.case_release_view, name="case_release"),
    path("cases/<uuid:public_id>/decide/", views.case_decide_view, name="case_decide"),
    path("cases/<uuid:public_id>/appeal/", views.appeal_decide_view, name="appeal_decide"),
    path(
        "cases/<uuid:public_id>/reports/<uuid:report_id>/media/",
        views.media_view,
        name="report_media",
    ),
    path(
        "cases/<uuid:public_id>/reports/<uuid:report_id>/reveal/",
        views.media_reveal_view,
        name="media_reveal",
    ),
    path(
        "decisions/<uuid:public_id>/statement.json",
        views.decision_statement_view,
        name="decision_statement",
    ),
    path("break/", views.break_view, name="break"),
    path("settings/", views.settings_view, name="settings"),
    path("figures/", views.figures_view, name="figures"),
    path("categories/", views.category_list_view, name="category_list"),
    path("categories/<slug:slug>/", views.category_edit_view, name="category_edit"),
]
