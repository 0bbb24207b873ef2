"""Credentials encrypted at rest: round trip, wrong key, rotation, key derivation."""

import pytest
from cryptography.fernet import Fernet

from datasets import crypto

URL = "postgresql://analyst:S3cret-pa55@db.example.com:5432/sales"


def test_round_trip_without_a_configured_key(settings):
    settings.AUTOML_ENCRYPTION_KEY = ""
    token = crypto.encrypt(URL)
    assert crypto.decrypt(token) == URL
    assert token != crypto.encrypt(URL)  # a fresh IV each time


def test_token_does_not_contain_the_plaintext(settings):
    settings.AUTOML_ENCRYPTION_KEY = ""
    token = crypto.encrypt(URL)
    assert "S3cret-pa55" not in token
    assert "analyst" not in token
    assert token.isascii()


def test_changed_secret_key_gives_a_clear_error(settings):
    settings.AUTOML_ENCRYPTION_KEY = ""
    token = crypto.encrypt(URL)
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789"
    with pytest.raises(ValueError, match="cannot be decrypted with the current key"):
        crypto.decrypt(token)


def test_different_configured_key_gives_a_clear_error(settings):
    settings.AUTOML_ENCRYPTION_KEY = Fernet.generate_key().decode()
    token = crypto.encrypt(URL)
    settings.AUTOML_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ValueError, match="cannot be decrypted with the current key"):
        crypto.decrypt(token)


def test_garbage_tokens_give_the_same_error(settings):
    for token in ["", "not-a-token", "gAAAAA" + "x" * 80]:
        with pytest.raises(ValueError, match="cannot be decrypted"):
            crypto.decrypt(token)


def test_a_fernet_key_is_used_as_it_is(settings):
    key = Fernet.generate_key()
    settings.AUTOML_ENCRYPTION_KEY = key.decode()
    token = crypto.encrypt(URL)
    assert Fernet(key).decrypt(token.encode()).decode() == URL


def test_a_passphrase_is_turned_into_a_key(settings):
    settings.AUTOML_ENCRYPTION_KEY = "correct horse battery staple"
    token = crypto.encrypt(URL)
    assert crypto.decrypt(token) == URL
    settings.AUTOML_ENCRYPTION_KEY = "correct horse battery stapler"
    with pytest.raises(ValueError):
        crypto.decrypt(token)


def test_rotation_with_two_keys(settings):
    old, new = Fernet.generate_key().decode(), "a new passphrase for the credentials"
    settings.AUTOML_ENCRYPTION_KEY = old
    old_token = crypto.encrypt(URL)

    settings.AUTOML_ENCRYPTION_KEY = f"{new}, {old}"
    assert crypto.decrypt(old_token) == URL  # the old key still decrypts
    new_token = crypto.encrypt(URL)  # the first key encrypts
    rotated = crypto.rotate(old_token)

    settings.AUTOML_ENCRYPTION_KEY = new
    assert crypto.decrypt(new_token) == URL
    assert crypto.decrypt(rotated) == URL
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt(old_token)


def test_credentials_saved_before_a_key_was_configured_stay_readable(settings):
    settings.AUTOML_ENCRYPTION_KEY = ""
    token = crypto.encrypt(URL)
    settings.AUTOML_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert crypto.decrypt(token) == URL
    assert crypto.decrypt(crypto.rotate(token)) == URL
