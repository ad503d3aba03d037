"""The Team page: members and roles, their spend limits, invitations, team name; plus team
switching."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from genfans.accounts.memberships import team_leave, team_member_remove
from genfans.accounts.services import team_create_for_user
from genfans.accounts.spend_limits import team_spend_get
from genfans.accounts.two_factor import team_two_factor_require
from genfans.core.errors import DomainError, NotFound
from genfans.core.http import client_ip
from genfans.emails.selectors import email_delivery_states_for_invitations
from genfans.teams.emails import invitation_link
from genfans.teams.middleware import SESSION_TEAM_KEY
from genfans.teams.selectors import (
    invitation_list_open_for_email,
    invitation_list_pending_for_team,
    member_list_for_team,
    membership_get,
)
from genfans.teams.services import (
    team_invitation_revoke,
    team_member_invite,
    team_member_role_change,
    team_rename,
)
from genfans.web.decorators import owner_required, team_required
from genfans.web.errors import add_form_error
from genfans.web.forms import InviteForm, TeamNameForm
from genfans.web.spend_limits import spend_limit_form, spend_limit_submit


def _context(request, **extra) -> dict:
    team = request.team
    members = list(member_list_for_team(team=team))
    is_owner = request.membership.is_owner
    spend = team_spend_get(team=team)
    for m in members:
        # Owners see every member's spend; a member sees their own.
        m.spend = spend.for_member(m) if is_owner or m.user_id == request.user.id else None
        if is_owner:
            m.cap_form = spend_limit_form(m.user_id, m.spend, failed=extra.get("failed_cap"))
    invitations = list(invitation_list_pending_for_team(team=team))
    for invitation in invitations:
        # The emailed link, from BASE_URL: never from the Host header a request brought.
        invitation.link = invitation_link(invitation.pk)
    emails = email_delivery_states_for_invitations(
        team=team, invitation_ids=[i.pk for i in invitations]
    )
    return {
        "members": members,
        "owner_count": sum(1 for m in members if m.is_owner),
        "invitations": [(invitation, emails.get(invitation.pk)) for invitation in invitations],
        "invite_form": InviteForm(),
        "name_form": TeamNameForm(initial={"name": team.name}),
        "is_owner": is_owner,
        **extra,
    }


def _render(request, status=200, **extra):
    template = "web/team/team.html"
    if request.htmx:
        template += "#team-body"
    return render(request, template, _context(request, **extra), status=status)


def _done(request, message: str):
    """After a successful action: htmx swaps the page body in place, plain forms redirect."""
    if request.htmx:
        return _render(request, notice=message)
    messages.success(request, message)
    return redirect("team")


def _failed(request, error: DomainError):
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if request.htmx:
        return _render(request, status=200, error=error.message)
    messages.error(request, error.message)
    return redirect("team")


@team_required
@require_http_methods(["GET", "POST"])
def team(request):
    if request.method == "POST":
        return _member_spend_limit(request)
    return _render(request)


@owner_required
def _member_spend_limit(request):
    """The page's own POST: an owner sets or clears the monthly cap of the member named."""
    user_id = request.POST.get("member", "")
    form, message = spend_limit_submit(request, member_user_id=user_id)
    if message:
        return _done(request, message)
    return _render(request, status=200 if request.htmx else 400, failed_cap=(user_id, form))


@owner_required
@require_POST
def invite(request):
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = team_member_invite(
                team=request.team,
                user=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
        else:
            return _done(request, f"Invitation sent to {invitation.email}.")
    return _render(request, status=200 if request.htmx else 400, invite_form=form)


@owner_required
@require_POST
def two_factor(request):
    required = request.POST.get("required") == "on"
    try:
        team_two_factor_require(
            team=request.team, user=request.user, required=required, ip_address=client_ip(request)
        )
    except DomainError as error:
        return _failed(request, error)
    if required:
        return _done(request, "Every member now needs two-factor sign-in to use this team.")
    return _done(request, "Two-factor sign-in is no longer required.")


@owner_required
@require_POST
def revoke_invitation(request, invitation_id):
    try:
        invitation = team_invitation_revoke(
            team=request.team,
            user=request.user,
            invitation_id=invitation_id,
            ip_address=client_ip(request),
        )
    except DomainError as error:
        return _failed(request, error)
    return _done(request, f"Invitation to {invitation.email} revoked.")


@owner_required
@require_POST
def change_role(request, user_id):
    try:
        member = team_member_role_change(
            team=request.team,
            user=request.user,
            member_user_id=user_id,
            role=request.POST.get("role", ""),
            ip_address=client_ip(request),
        )
    except DomainError as error:
        return _failed(request, error)
    if member.user_id == request.user.id and not member.is_owner:
        # The page's owner controls no longer apply: reload it whole.
        messages.success(request, "You are now a member of this team.")
        return _redirect_full(request)
    return _done(request, f"{member.user.display_name} is now {member.get_role_display().lower()}.")


@owner_required
@require_POST
def remove_member(request, user_id):
    try:
        team_member_remove(
            team=request.team,
            user=request.user,
            member_user_id=user_id,
            ip_address=client_ip(request),
        )
    except DomainError as error:
        return _failed(request, error)
    return _done(request, "Member removed.")


@owner_required
@require_POST
def rename(request):
    form = TeamNameForm(request.POST)
    if form.is_valid():
        try:
            team_rename(
                team=request.team,
                user=request.user,
                name=form.cleaned_data["name"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
        else:
            messages.success(request, "Team renamed.")
            return _redirect_full(request)
    return _render(request, status=200 if request.htmx else 400, name_form=form)


@team_required
@require_POST
def leave(request):
    team_name = request.team.name
    try:
        team_leave(team=request.team, user=request.user, ip_address=client_ip(request))
    except DomainError as error:
        return _failed(request, error)
    request.session.pop(SESSION_TEAM_KEY, None)
    messages.success(request, f"You left {team_name}.")
    response = redirect("dashboard")
    if request.htmx:
        response["HX-Redirect"] = "/dashboard/"
    return response


def _redirect_full(request):
    response = redirect("team")
    if request.htmx:
        response["HX-Redirect"] = "/dashboard/team"
    return response


@login_required
@require_POST
def switch(request):
    membership = membership_get(user=request.user, team_id=request.POST.get("team_id"))
    if membership:
        request.session[SESSION_TEAM_KEY] = str(membership.team_id)
    return redirect("dashboard")


@login_required
def no_team(request):
    """Signed in but in no team (removed from it, or joined by invitation and then removed):
    start a team or accept an invitation."""
    if membership_get(user=request.user) is not None:
        return redirect("dashboard")
    form = TeamNameForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                team_create_for_user(
                    user=request.user, name=form.cleaned_data["name"], ip_address=client_ip(request)
                )
            except DomainError as error:
                add_form_error(form, error)
            else:
                return redirect("dashboard")
        status = 400
    return render(
        request,
        "web/team/no_team.html",
        {"form": form, "invitations": invitation_list_open_for_email(email=request.user.email)},
        status=status,
    )
