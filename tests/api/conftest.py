"""Helpers for the API tests: URLs by name and clients that sign in with real bearer tokens."""

import pytest
from django.urls import reverse

from tests.conftest import token_client


def api_url(name: str, **kwargs) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


@pytest.fixture
def as_user():
    """`as_user(user)` is an API client authenticated with a fresh token of that user."""
    return token_client
