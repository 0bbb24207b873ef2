"""allauth adapters: sign-up policy and invitation-aware pre-filling."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

from automl_site.settings import env_bool

# Set by projects when someone opens an invitation link before having an account.
INVITATION_EMAIL_SESSION_KEY = "invitation_email"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # An invited person may always sign up, even where open sign-up is closed.
        if request is not None and request.session.get(INVITATION_EMAIL_SESSION_KEY):
            return True
        return env_bool("ACCOUNT_ALLOW_SIGNUP", True)

    def get_login_redirect_url(self, request) -> str:
        return super().get_login_redirect_url(request) or settings.LOGIN_REDIRECT_URL


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return AccountAdapter().is_open_for_signup(request)
