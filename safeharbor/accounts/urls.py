from django.urls import path

from safeharbor.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/", views.mfa_verify_view, name="mfa_verify"),
    path("mfa/setup/", views.mfa_setup_view, name="mfa_setup"),
    path("mfa/recovery-codes/", views.recovery_codes_view, name="recovery_codes"),
    path("mfa/recovery-codes/new/", views.recovery_codes_new_view, name="recovery_codes_new"),
    path("security/", views.security_view, name="security"),
    path("sudo/", views.sudo_view, name="sudo"),
    path("register/", views.register_view, name="register"),
    path("verify/sent/", views.verification_sent_view, name="verification_sent"),
    path("verify/<uidb64>/<token>/", views.verify_email_view, name="verify_email"),
    path("password/reset/", views.password_reset_view, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done_view, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm_view,
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/", views.password_reset_complete_view, name="password_reset_complete"
    ),
    path("password/change/", views.password_change_view, name="password_change"),
    path("staff/", views.staff_list_view, name="staff_list"),
    path("staff/new/", views.staff_create_view, name="staff_create"),
    path("staff/<int:account_id>/", views.staff_detail_view, name="staff_detail"),
    path("staff/<int:account_id>/roles/", views.staff_roles_view, name="staff_roles"),
    path("staff/<int:account_id>/reset-mfa/", views.staff_reset_mfa_view, name="staff_reset_mfa"),
    path("staff/<int:account_id>/active/", views.staff_active_view, name="staff_active"),
    path("api-keys/", views.api_key_list_view, name="api_keys"),
    path("api-keys/new/", views.api_key_create_view, name="api_key_create"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
]
