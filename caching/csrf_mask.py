"""CSRF tokens for a replayed members page: Django's format and secret, masked without a request.

Django's own masking (`django.middleware.csrf._mask_cipher_secret`) is private and
`get_token()` needs a whole request; a replay answers from the WSGI environ in microseconds, so
it masks here by Django's rule. caching/tests/test_private_names.py checks that Django unmasks
these tokens to the same secret, so a change of Django's format fails loudly.
"""

import os
import re

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_CHARS = CSRF_ALLOWED_CHARS
_SECRET = re.compile(f"[{re.escape(_CHARS)}]{{{CSRF_SECRET_LENGTH}}}")
_UNBIASED = 256 - 256 % len(_CHARS)  # random bytes at or above it would favour the first letters
_TO_CHAR = bytes(_CHARS.encode()[byte % len(_CHARS)] if byte < _UNBIASED else 0 for byte in range(256))
_BIASED = bytes(range(_UNBIASED, 256))
# secret char -> mask char -> cipher char: the secret's letter moved on by the mask's (Django's rule)
_SHIFTED = {
    char: {pick: _CHARS[(index + shift) % len(_CHARS)] for shift, pick in enumerate(_CHARS)}
    for index, char in enumerate(_CHARS)
}


def mask_secret(secret: str) -> str:
    """Django's `_mask_cipher_secret` (a random mask, then the secret shifted by it), faster."""
    raw = os.urandom(48).translate(_TO_CHAR, _BIASED)
    while len(raw) < CSRF_SECRET_LENGTH:
        raw += os.urandom(16).translate(_TO_CHAR, _BIASED)
    mask = raw[:CSRF_SECRET_LENGTH].decode()
    return mask + "".join([_SHIFTED[char][pick] for char, pick in zip(secret, mask, strict=True)])


def is_csrf_secret(value: str | None) -> bool:
    """A cookie Django would keep as it is (anything else makes it issue a new one)."""
    return value is not None and _SECRET.fullmatch(value) is not None
