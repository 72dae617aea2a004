"""Sign-in, sign-out and the profile page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import microsoft, policy_views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/microsoft/", microsoft.microsoft_start, name="login-microsoft"),
    path("login/microsoft/callback/", microsoft.microsoft_callback,
         name="login-microsoft-callback"),
    path("sign-in-policy/", policy_views.sign_in_policy, name="sign-in-policy"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
