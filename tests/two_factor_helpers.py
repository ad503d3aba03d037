"""Two-factor test helpers: codes computed the way an authenticator app does."""

import time
from datetime import timedelta

from django.db.models import F
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from genfans.accounts.two_factor import two_factor_confirm, two_factor_setup_start


def next_code(device: TOTPDevice) -> str:
    """The code of the first time step the device has not accepted yet (a real app would show it
    within 30 seconds), so several sign-ins in one test each have a fresh code."""
    device.refresh_from_db()
    now_step = int(time.time()) // device.step
    ahead = max(device.last_t + 1 - now_step, 0)
    return f"{totp(device.bin_key, step=device.step, drift=ahead):06d}"


def unthrottle(user) -> None:
    """As if the wait after the last wrong code (app or recovery) had passed."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user, throttling_failure_timestamp__isnull=False).update(
            throttling_failure_timestamp=F("throttling_failure_timestamp") - timedelta(hours=1)
        )


def enable_two_factor(user) -> tuple[TOTPDevice, list[str]]:
    device = two_factor_setup_start(user=user)
    codes = two_factor_confirm(user=user, code=next_code(device))
    device.refresh_from_db()
    return device, codes
