"""The perimeter's rules and writes: who must pass a second factor, the devices that give it
(an authenticator app, single-use backup codes), and the throttle of password reset requests.

The second factor is django-otp's: a TOTP device (the authenticator app) and a static device
whose tokens are the backup codes. A session is verified once django_otp.login() has put a
device in it; OTPMiddleware then gives `request.user.is_verified()`.
"""

import datetime
import math
from base64 import b32encode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp import user_has_device, verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clusters.selectors import user_roles
from clusters.services import GLOBAL_ROLES

AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_CODES_NAME = "Backup codes"

# Sent by the second factor's pages (with `request` and `user`), for whoever keeps a log of
# sign-ins: a code accepted, a code refused. Django's user_logged_in and user_login_failed
# stay the password step's.
second_factor_verified = Signal()
second_factor_failed = Signal()


def second_factor_required(user) -> bool:
    """Staff and whoever holds a global role (HCSS, Task Team, GCC) must use a second factor:
    they reach every mission. Everyone else may choose to."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or bool(user_roles(user) & set(GLOBAL_ROLES))


def second_factor_enforced(user) -> bool:
    """Whether this user's pages wait for the second factor: those who must use one, and those
    who chose to (a second factor that is never asked for protects nothing)."""
    if not settings.ICSM_REQUIRE_SECOND_FACTOR or not user.is_authenticated:
        return False
    return second_factor_required(user) or has_second_factor(user)


def has_second_factor(user) -> bool:
    """An authenticator, or backup codes left (an operator may have taken a lost phone away)."""
    return user_has_device(user, confirmed=True)


def authenticator_pending(user) -> TOTPDevice:
    """The authenticator device being set up: not confirmed until the user types a code from it.
    The same one on every visit to the set-up page, so that the QR code a user scanned stays."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def authenticator_secret(device: TOTPDevice) -> str:
    """The device's secret as authenticator apps take it when typed: base32, in groups of 4."""
    secret = b32encode(device.bin_key).decode("ascii")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def authenticator_confirm(user, code: str) -> tuple[TOTPDevice | None, list[str]]:
    """Confirm the pending authenticator with a code from it. On success the user's earlier
    authenticator and backup codes are replaced: return the device and the new backup codes
    (shown once). On a wrong code return (None, [])."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None or not device.verify_token(normalise_code(code)):
        return None, []
    TOTPDevice.objects.devices_for_user(user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, backup_codes_issue(user)


@transaction.atomic
def backup_codes_issue(user) -> list[str]:
    """Ten new single-use backup codes; the earlier ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_CODES_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.ICSM_BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalise_code(code: str) -> str:
    """As typed: spaces and dashes dropped, lower case (backup codes are lower-case base32)."""
    return "".join(code.split()).replace("-", "").lower()


def _devices_for_code(user, code: str) -> list[TOTPDevice | StaticDevice]:
    """Six digits are the authenticator's; anything else is a backup code. Each device counts
    its wrong codes, so a code goes to the devices of its kind only."""
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    return list(model.objects.devices_for_user(user, confirmed=True))


def second_factor_match(user, code: str) -> TOTPDevice | StaticDevice | None:
    """The device of `user` that accepts `code` (the authenticator's code, or a backup code,
    which is then used up), or None. Wrong codes slow the device down (django-otp's back-off:
    1, 2, 4, 8... seconds)."""
    code = normalise_code(code)
    if not code:
        return None
    for device in _devices_for_code(user, code):
        if verify_token(user, device.persistent_id, code) is not None:
            return device
    return None


def authenticator_wait(device: TOTPDevice | StaticDevice) -> int:
    """Seconds before `device` takes another code after wrong ones (0: now)."""
    allowed, data = device.verify_is_allowed()
    if allowed or not data or not data.get("locked_until"):
        return 0
    return max(1, math.ceil((data["locked_until"] - timezone.now()).total_seconds()))


def second_factor_wait(user, code: str) -> int:
    """Seconds before the devices that would take `code` take another one (0: now)."""
    return max(
        (authenticator_wait(device) for device in _devices_for_code(user, normalise_code(code))),
        default=0,
    )


@transaction.atomic
def second_factor_remove(user) -> None:
    """Take away the user's second factor (only for those who chose it: see the view)."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).delete()


def authenticator_code(device: TOTPDevice) -> str:
    """The code the device shows now (for the tests and the browser tests' login helper)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


# Password reset requests ------------------------------------------------------------------------


def password_reset_throttle(client_address: str, email: str) -> datetime.timedelta | None:
    """Count a password reset request from `client_address` for `email`; return how long to
    wait when either has made more than ICSM_PASSWORD_RESET_LIMIT requests in the current window
    (None: go ahead). The e-mail counts whether or not an account has it, so the answer tells
    nothing about the accounts. Fixed windows in the cache: incr is atomic on Redis."""
    window = datetime.timedelta(minutes=settings.ICSM_PASSWORD_RESET_WINDOW_MINUTES)
    now = timezone.now().timestamp()
    number = int(now // window.total_seconds())
    ends = (number + 1) * window.total_seconds()
    # The e-mail address is not kept in the cache as it was typed.
    hashed = salted_hmac("icsm.password-reset", email.strip().lower()).hexdigest()
    over = False
    for key in (
        f"icsm:reset:address:{client_address}:{number}",
        f"icsm:reset:email:{hashed}:{number}",
    ):
        cache.add(key, 0, timeout=int(window.total_seconds()) + 60)
        if cache.incr(key) > settings.ICSM_PASSWORD_RESET_LIMIT:
            over = True
    return datetime.timedelta(seconds=math.ceil(ends - now)) if over else None
