"""Bearer-token authentication for the API: `Authorization: Bearer aml_…`."""

from rest_framework import authentication, exceptions

from .models import ApiToken, hash_token


def user_for_token(raw: str):
    """Return (user, token) for an active token, or raise AuthenticationFailed."""
    token = ApiToken.objects.select_related("user", "project").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        raise exceptions.AuthenticationFailed("Invalid token.")
    if not token.is_active:
        raise exceptions.AuthenticationFailed(f"Token {token.status}.")
    token.touch()
    # The permission policy reads the token's limits (scope, project) from the user it acts as.
    token.user.api_token = token
    return token.user, token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Token contains invalid characters.") from exc
        return user_for_token(raw)

    def authenticate_header(self, request) -> str:
        return self.keyword
