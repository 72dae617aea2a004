"""API routes under /api/. Filled in by the API area."""

urlpatterns: list = []
