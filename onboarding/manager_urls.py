"""URL routes; see onboarding/urls.py."""

urlpatterns: list = []
