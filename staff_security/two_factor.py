"""Staff two-factor authentication on django-otp's TOTP devices: which step a user is at.

Kept free of HTTP so the middleware, the views and the reset command share one rule.
"""

import enum

from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator app"


class Step(enum.Enum):
    DONE = "done"  # verified with a second factor in this session
    VERIFY = "verify"  # has a confirmed device; must type a code
    ENROL = "enrol"  # no confirmed device yet; must set one up


def next_step(*, user) -> Step:
    if user.is_verified():
        return Step.DONE
    if has_confirmed_device(user=user):
        return Step.VERIFY
    return Step.ENROL


def has_confirmed_device(*, user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(*, user) -> TOTPDevice:
    """The unconfirmed device being enrolled, created on first use so a reload keeps the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def discard_pending_devices(*, user) -> None:
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()


def confirm_device(*, device: TOTPDevice, token: str) -> bool:
    """Confirm a pending device when the code from the app matches; drop older pending ones."""
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    return True


def reset_devices(*, user) -> int:
    """Remove every device (lost phone); the user enrols again with a new enrolment code."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return deleted
