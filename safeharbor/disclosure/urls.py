from django.urls import path

from safeharbor.disclosure import views

app_name = "disclosure"

urlpatterns = [
    path("", views.program_view, name="program"),
    path("thanks/", views.thanks_view, name="thanks"),
    path("disclosed/", views.disclosed_list_view, name="disclosed"),
    path("disclosed/<int:report_id>/", views.public_report_view, name="report_public"),
    path("disclosed/<int:report_id>/csaf.json", views.report_csaf_view, name="report_csaf"),
    path("disclosed/<int:report_id>/osv.json", views.report_osv_view, name="report_osv"),
    path("profile/", views.profile_view, name="profile"),
    path("reports/", views.my_reports_view, name="my_reports"),
    path("reports/new/", views.submit_view, name="submit"),
    path("reports/<int:report_id>/", views.report_detail_view, name="report_detail"),
    path("reports/<int:report_id>/edit/", views.edit_draft_view, name="report_edit"),
    path("reports/<int:report_id>/comment/", views.comment_view, name="report_comment"),
    path("reports/<int:report_id>/state/", views.state_view, name="report_state"),
    path("reports/<int:report_id>/withdraw/", views.withdraw_view, name="report_withdraw"),
    path("reports/<int:report_id>/assign/", views.assign_view, name="report_assign"),
    path("reports/<int:report_id>/severity/", views.severity_view, name="report_severity"),
    path("reports/<int:report_id>/award/", views.award_view, name="report_award"),
    path("reports/<int:report_id>/disclosure/", views.disclosure_view, name="report_disclosure"),
    path("reports/<int:report_id>/public/", views.public_version_view, name="report_public_edit"),
    path(
        "reports/<int:report_id>/attachments/<int:attachment_id>/",
        views.attachment_view,
        name="attachment",
    ),
    path("triage/", views.queue_view, name="queue"),
    path("manage/program/", views.program_edit_view, name="program_edit"),
    path(
        "manage/security-txt/",
        views.security_txt_signature_view,
        name="security_txt_signature",
    ),
    path("manage/bounty-table/", views.bounty_table_view, name="bounty_table"),
    path("manage/payouts/", views.payouts_view, name="payouts"),
    path("manage/payouts/<int:payout_id>/", views.payout_view, name="payout"),
    path("manage/assets/", views.asset_list_view, name="asset_list"),
    path("manage/assets/new/", views.asset_edit_view, name="asset_create"),
    path("manage/assets/<int:asset_id>/", views.asset_edit_view, name="asset_edit"),
]
