from django.conf import settings

from tenants.roles import is_manager


def portal(request):
    user = getattr(request, "user", None)
    return {
        "MSP_NAME": settings.MSP_NAME,
        "DEMO_OUTBOX": settings.DEMO_OUTBOX,
        "is_manager": bool(user and is_manager(user)),
    }
