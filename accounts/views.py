"""The API tokens page, and the page a login refused by django-axes shows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.forms import ApiTokenForm
from accounts.models import ApiToken


@never_cache
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the user's tokens; a POST creates one and shows its key, this once only."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = ApiToken.objects.create(
            user=request.user, expiry=form.expiry, name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user).live()
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "new_key": new_key},
        status=201 if new_key else 200,
    )


@require_POST
@login_required
def revoke_api_token(request: HttpRequest, pk: int) -> HttpResponse:
    # Another user's token answers 404, as if it did not exist.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api-tokens")


def lockout(request: HttpRequest, original_response: Any, credentials: Any) -> HttpResponse:
    """django-axes' answer to a locked-out login: when to retry, as a page and Retry-After."""
    cooloff = settings.AXES_COOLOFF_TIME
    response = render(
        request,
        "accounts/lockout.html",
        {
            "retry_at": timezone.now() + cooloff,
            "cooloff_seconds": int(cooloff.total_seconds()),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
        status=429,
    )
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response
