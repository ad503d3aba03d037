from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from genfans.accounts.selectors import api_key_list_for_team
from genfans.accounts.services import api_key_create, api_key_revoke
from genfans.accounts.spend_limits import team_spend_get
from genfans.core.errors import DomainError, NotFound
from genfans.core.http import client_ip
from genfans.web.decorators import owner_refusal, owner_required, team_required
from genfans.web.errors import add_form_error
from genfans.web.forms import ApiKeyForm
from genfans.web.spend_limits import spend_limit_form, spend_limit_submit


def _keys(request, *, failed_cap: tuple | None) -> list:
    keys = list(api_key_list_for_team(team=request.team))
    # A key's spend and cap are for owners, who set them.
    if request.membership.is_owner:
        spend = team_spend_get(team=request.team)
        for key in keys:
            key.spend = spend.for_key(key)
            if key.revoked_at is None:
                key.cap_form = spend_limit_form(key.pk, key.spend, failed=failed_cap)
    return keys


def _render(request, *, form=None, new_key=None, failed_cap=None, status=200):
    return render(
        request,
        "web/api_keys/api_keys.html",
        {
            "keys": _keys(request, failed_cap=failed_cap),
            "form": form or ApiKeyForm(),
            "new_key": new_key,
            "is_owner": request.membership.is_owner,
        },
        status=status,
    )


@team_required
@require_http_methods(["GET", "POST"])
def api_keys(request):
    if request.method == "GET":
        return _render(request)
    if "api_key" in request.POST:
        return _spend_limit(request)
    if refused := owner_refusal(request):
        return refused
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            key, raw = api_key_create(
                team=request.team,
                user=request.user,
                name=form.cleaned_data["name"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
        else:
            # The secret is rendered in this response only; it is never stored.
            return _render(request, new_key={"key": key, "raw": raw})
    return _render(request, form=form, status=400)


@owner_required
def _spend_limit(request):
    """The page's other POST: an owner sets or clears the monthly cap of the key named."""
    api_key_id = request.POST["api_key"]
    form, message = spend_limit_submit(request, api_key_id=api_key_id)
    if message:
        messages.success(request, message)
        return redirect("api-keys")
    return _render(request, failed_cap=(api_key_id, form), status=400)


@owner_required
@require_POST
def revoke(request, api_key_id):
    try:
        key = api_key_revoke(
            team=request.team,
            user=request.user,
            api_key_id=api_key_id,
            ip_address=client_ip(request),
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Key {key.name} revoked.")
    return redirect("api-keys")
