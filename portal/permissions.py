"""REST API permissions: the same rules as the pages (tenants.roles)."""

from rest_framework.permissions import BasePermission

from tenants.roles import is_staff_member


class IsStaffMember(BasePermission):
    message = "Only technicians and managers may use the API."

    def has_permission(self, request, view) -> bool:
        return is_staff_member(request.user)
