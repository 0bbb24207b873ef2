"""Encryption at rest for stored credentials (SQL connection URLs with their passwords).

Fernet (AES-128-CBC with HMAC-SHA256) from `cryptography`. The key comes from
`AUTOML_ENCRYPTION_KEY` when it is set, else it is derived from `SECRET_KEY`:

- `AUTOML_ENCRYPTION_KEY` may hold several comma-separated keys for rotation: the first
  encrypts, all of them decrypt. Each is either a Fernet key (`Fernet.generate_key()`) or any
  passphrase, from which a key is derived with scrypt (passphrases may be weak, so they are
  stretched; a Fernet key is used as it is).
- Without it, the key is derived from `SECRET_KEY` with HKDF-SHA256. That key is also kept as
  the last decryption key when `AUTOML_ENCRYPTION_KEY` is set, so credentials saved before an
  operator set one stay readable; `rotate()` re-encrypts them under the new key.
"""

from __future__ import annotations

import base64
import binascii
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings

_INFO = b"automl-credentials"

UNDECRYPTABLE = (
    "The stored credentials cannot be decrypted with the current key. "
    "AUTOML_ENCRYPTION_KEY or SECRET_KEY has probably changed since they were saved: restore the "
    "old key (list it after the new one in AUTOML_ENCRYPTION_KEY), or enter the credentials again."
)


def encrypt(text: str) -> str:
    """Encrypt `text`; the token is URL-safe ASCII and never contains the plaintext."""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token made by `encrypt()`; a ValueError if no current key opens it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, AttributeError):
        raise ValueError(UNDECRYPTABLE) from None


def rotate(token: str) -> str:
    """Re-encrypt a token under the current first key (after adding a new key in front)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError, AttributeError):
        raise ValueError(UNDECRYPTABLE) from None


def _fernet() -> MultiFernet:
    return _fernet_for(getattr(settings, "AUTOML_ENCRYPTION_KEY", "") or "", settings.SECRET_KEY)


@functools.lru_cache(maxsize=8)
def _fernet_for(configured: str, secret_key: str) -> MultiFernet:
    # Cached on the setting values: scrypt costs tens of milliseconds, and tests override settings.
    keys = [_key_from_setting(part.strip()) for part in configured.split(",") if part.strip()]
    keys.append(_derive_hkdf(secret_key))
    return MultiFernet([Fernet(key) for key in dict.fromkeys(keys)])


def _key_from_setting(value: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32 and len(value) == 44:
            return value.encode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        pass
    kdf = Scrypt(salt=_INFO, length=32, n=2**14, r=8, p=1)
    return base64.urlsafe_b64encode(kdf.derive(value.encode("utf-8")))


def _derive_hkdf(secret: str) -> bytes:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return base64.urlsafe_b64encode(kdf.derive(secret.encode("utf-8")))
