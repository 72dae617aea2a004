"""Which sign-ins need the TOTP step, and the user's authenticator (django-otp's TOTPDevice)."""

from django.contrib.auth import load_backend
from django.contrib.auth.backends import ModelBackend
from django_otp.plugins.otp_totp.models import TOTPDevice

# Session flag: this session was opened with a password, so the TOTP step applies to it.
PASSWORD_SIGN_IN = "accounts.password_sign_in"


def is_password_backend(path: str) -> bool:
    """Backends that check a password (ModelBackend and its subclasses) need the second factor. A
    backend that subclasses ModelBackend but signs people in another way (e.g. with Microsoft) says
    so with `password_sign_in = False`."""
    try:
        backend = load_backend(path)
    except ImportError:
        return False
    return bool(getattr(backend, "password_sign_in", isinstance(backend, ModelBackend)))


def mark_password_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver."""
    if request is not None and hasattr(request, "session") and is_password_backend(getattr(user, "backend", "")):
        request.session[PASSWORD_SIGN_IN] = True


def confirmed_device(user) -> TOTPDevice | None:
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def pending_device(user) -> TOTPDevice:
    """The not-yet-confirmed device enrolment shows (the same one on reload, so the QR code holds)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device
