"""Webhooks (managers) and each person's email preferences."""

from django.urls import path

from notifications.views import preferences, webhooks

urlpatterns = [
    path("webhooks/", webhooks.webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook-delete"),
    path("preferences/", preferences.preferences, name="preferences"),
]
