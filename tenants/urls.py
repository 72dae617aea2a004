from django.urls import path

from tenants import views

urlpatterns = [
    path("new/", views.tenant_create, name="tenant-create"),
    path("<int:pk>/edit/", views.tenant_edit, name="tenant-edit"),
]
