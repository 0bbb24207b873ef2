"""Account pages: profile preferences and personal API tokens.

Sign-in, sign-up, password and email pages are allauth's, styled by templates/allauth/.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .forms import ProfileForm, TokenForm
from .models import ApiToken

TOKENS_TEMPLATE = "accounts/tokens.html"


def _fragment(request, template_name: str, context: dict) -> HttpResponse:
    """An htmx fragment, with any pending messages riding along as out-of-band toasts."""
    html = render_to_string(template_name, context, request)
    html += render_to_string("components/messages_oob.html", request=request)
    return HttpResponse(html)


@login_required
def profile(request):
    # The form edits its own copy, so an invalid submission never shows half-applied
    # preferences (say, a new theme) on the page that reports the error.
    form = ProfileForm(request.POST or None, instance=get_user_model().objects.get(pk=request.user.pk))
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Profile saved.")
            # A full page load, so that a new theme or time zone applies everywhere at once.
            return redirect("profile")
        messages.error(request, "The profile was not saved. Check the highlighted field.")
    return render(request, "accounts/profile.html", {"form": form})


def _tokens_context(request, *, form=None, new_token=None, raw_token=None) -> dict:
    return {
        "form": form or TokenForm(user=request.user),
        "tokens": ApiToken.objects.filter(user=request.user).select_related("project"),
        "new_token": new_token,
        "raw_token": raw_token,
        "example_url": request.build_absolute_uri("/api/v1/me/"),
    }


@never_cache  # the response that shows a new token must not be kept by any cache
@login_required
def tokens(request):
    """List the user's tokens and create one. A new token's plain text is in this one response only."""
    if request.method == "POST":
        form = TokenForm(request.POST, user=request.user)
        if form.is_valid():
            token, raw = ApiToken.issue(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in"],
                scope=form.cleaned_data["scope"],
                project=form.cleaned_data["project"],
            )
            context = _tokens_context(request, new_token=token, raw_token=raw)
        else:
            context = _tokens_context(request, form=form)
        if request.htmx:
            return _fragment(request, f"{TOKENS_TEMPLATE}#token-panel", context)
        return render(request, TOKENS_TEMPLATE, context)
    return render(request, TOKENS_TEMPLATE, _tokens_context(request))


@login_required
@require_POST
def token_revoke(request, pk: int):
    # Only the owner's own tokens are found: anyone else's id is simply "not found".
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked_at:
        messages.info(request, f"“{token.name}” was already revoked.")
    else:
        token.revoke()
        messages.success(request, f"“{token.name}” revoked. Anything using it can no longer call the API.")
    if request.htmx:
        return _fragment(request, f"{TOKENS_TEMPLATE}#token-list", _tokens_context(request))
    return redirect("tokens")
