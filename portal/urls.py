from django.contrib import admin
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("help/", views.settings_help, name="help"),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("tenants/", include("tenants.urls")),
    path("api/", include("onboarding.api.urls")),
    path("", include("onboarding.urls")),
    path("", include("notifications.urls")),
]
