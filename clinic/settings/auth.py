"""Staff sign-in: password rules, hashers, django-axes lockouts and two-factor authentication."""

import os

from .env import env_bool

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "staff_security.backends.ModelBackendWithoutPublishedPassword",
]
LOGIN_URL = "wagtailadmin_login"

# django-axes: lock a staff login after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And per username from every address together, per cool-off hour (staff_security/lockout.py).
AXES_USERNAME_FAILURE_LIMIT = int(os.environ.get("AXES_USERNAME_FAILURE_LIMIT", "10"))
AXES_HANDLER = "staff_security.lockout.StaffLoginHandler"
AXES_RESET_ON_SUCCESS = True
# A page that says what happened and who can lift it (axes' default is one bare line of text).
AXES_LOCKOUT_TEMPLATE = "staff_security/locked_out.html"

# Two-factor authentication (TOTP) for every account that reaches /admin/ or /django-admin/.
# Off by default so `make run` stays one command; production turns it on (see production.py).
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", False)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Clinic")
# How long a one-time two-factor enrolment code works after an administrator issues it.
STAFF_ENROLMENT_CODE_HOURS = 72
# The axes lockout and the client address it counts come from one place: TrustedProxyMiddleware
# has already put the real client into REMOTE_ADDR, so axes must not read X-Forwarded-For itself.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
