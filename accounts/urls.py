"""Sign-in, sign-out, the second factor and the profile page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import microsoft, policy_views, views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/code/", views.login_code, name="login-code"),
    path("login/microsoft/", microsoft.microsoft_start, name="login-microsoft"),
    path(
        "login/microsoft/callback/", microsoft.microsoft_callback, name="login-microsoft-callback"
    ),
    path("sign-in-policy/", policy_views.sign_in_policy, name="sign-in-policy"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token-create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("profile/authenticator/", views.totp_enrol, name="totp-enrol"),
    path("profile/sign-ins/", views.staff_sign_ins, name="staff-sign-ins"),
    path("profile/sign-ins/unlock/<int:pk>/", views.unlock, name="sign-in-unlock"),
    path(
        "profile/sign-ins/authenticator/<int:user_id>/reset/", views.totp_reset, name="totp-reset"
    ),
]
