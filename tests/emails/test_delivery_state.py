"""Pages say where an email is from its delivery row, and say nothing without one."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from genfans.emails.models import EmailDelivery, EmailKind, EmailStatus
from genfans.emails.selectors import (
    email_delivery_state_latest_for_user,
    email_delivery_states_for_invitations,
)
from genfans.teams.models import Invitation
from genfans.teams.services import team_member_invite
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SENT_AT = datetime(2026, 3, 4, 14, 5, tzinfo=UTC)


def invite(team, owner, email, **delivery):
    invitation = team_member_invite(team=team, user=owner, email=email)
    if delivery:
        EmailDelivery.objects.filter(invitation=invitation).update(**delivery)
    return invitation


def invitation_line(page: str, email: str) -> str:
    start = page.index(f'data-invitation="{email}"')
    return page[start : page.index("</li>", start)]


def test_the_team_page_shows_each_invitation_emails_state(owner_client, team, owner):
    invite(team, owner, "queued@example.com")
    invite(team, owner, "sent@example.com", status=EmailStatus.SENT, attempts=1, sent_at=SENT_AT)
    invite(team, owner, "retry@example.com", attempts=2, last_error="SMTP down")
    invite(team, owner, "failed@example.com", status=EmailStatus.FAILED, attempts=5)
    silent = invite(team, owner, "silent@example.com")
    EmailDelivery.objects.filter(invitation=silent).delete()

    page = owner_client.get("/dashboard/team").content.decode()

    def state(email):
        line = invitation_line(page, email)
        return line[line.index("data-email-state=") :].split(">", 1)[1].split("</span>")[0]

    assert state("queued@example.com") == "email queued"
    assert state("sent@example.com") == (
        'email sent <time datetime="2026-03-04T14:05:00+00:00">Mar 4, 14:05</time>'
    )
    assert state("retry@example.com") == "email failed, will retry"
    assert state("failed@example.com") == "email failed"
    assert "email-status" not in invitation_line(page, "silent@example.com")


def test_the_latest_email_of_an_invitation_counts_and_other_teams_see_none(team, owner, other_team):
    invitation = invite(team, owner, "new@example.com", status=EmailStatus.FAILED, attempts=5)
    EmailDelivery.objects.create(
        kind=EmailKind.INVITATION,
        recipient="new@example.com",
        team=team,
        invitation=invitation,
        status=EmailStatus.SENT,
        sent_at=SENT_AT,
        attempts=1,
    )

    states = email_delivery_states_for_invitations(team=team, invitation_ids=[invitation.pk])
    assert [(s.state, s.sent_at) for s in states.values()] == [("sent", SENT_AT)]
    assert list(states) == [invitation.pk]
    assert (
        email_delivery_states_for_invitations(team=other_team, invitation_ids=[invitation.pk]) == {}
    )
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize(
    ("delivery", "says", "button"),
    [
        ({}, "a link is on its way to <strong>late@example.com</strong>.", "Resend the link"),
        (
            {"status": EmailStatus.SENT, "attempts": 1, "sent_at": SENT_AT},
            'open the link we sent to <strong>late@example.com</strong> <time datetime="'
            '2026-03-04T14:05:00+00:00">Mar 4, 14:05</time>.',
            "Resend the link",
        ),
        (
            {"attempts": 1, "last_error": "SMTP down"},
            "we could not send the link to <strong>late@example.com</strong> yet and will try "
            "again.",
            "Resend the link",
        ),
        (
            {"status": EmailStatus.FAILED, "attempts": 5},
            "we could not send the link to <strong>late@example.com</strong>. Ask for a new one.",
            "Resend the link",
        ),
        (None, "ask for a link to <strong>late@example.com</strong>.", "Send the link"),
    ],
    ids=["queued", "sent", "retrying", "failed", "no-row"],
)
def test_the_verification_banner_says_where_the_link_is(client, delivery, says, button):
    user = make_user(email="late@example.com", verified=False)
    rows = EmailDelivery.objects.filter(user=user, kind=EmailKind.EMAIL_VERIFICATION)
    assert rows.count() == 1
    if delivery is None:
        rows.delete()
    else:
        rows.update(**delivery)
    client.force_login(user)

    page = client.get("/dashboard/").content.decode()

    banner = page[page.index('data-testid="verify-email-banner"') :].split("</div>", 1)[0]
    assert f"free credits: {says}</span>" in banner
    assert f'type="submit">{button}</button>' in banner


def test_a_verified_user_sees_no_banner(owner_client):
    assert b"verify-email-banner" not in owner_client.get("/dashboard/").content


def test_a_stranger_asking_for_a_reset_is_told_nothing_about_the_email(client, owner):
    page = client.post("/forgot-password", {"email": owner.email}).content.decode()

    assert "Check your inbox" in page
    assert "reset-email-state" not in page and "email-status" not in page
    assert EmailDelivery.objects.filter(user=owner, kind=EmailKind.PASSWORD_RESET).count() == 1
    polled = client.get(f"/forgot-password?sent={owner.email}", headers={"HX-Request": "true"})
    assert "email-status" not in polled.content.decode()


def test_the_signed_in_owner_of_the_address_sees_the_reset_email_go_out(owner_client, owner):
    page = owner_client.post("/forgot-password", {"email": owner.email}).content.decode()

    assert 'data-email-state="queued">email queued</span>' in page
    assert 'hx-get="/forgot-password?sent=owner%40example.com"' in page

    EmailDelivery.objects.filter(user=owner, kind=EmailKind.PASSWORD_RESET).update(
        status=EmailStatus.SENT, attempts=1, sent_at=SENT_AT
    )
    polled = owner_client.get(
        "/forgot-password?sent=owner%40example.com", headers={"HX-Request": "true"}
    ).content.decode()
    assert polled.strip().startswith('<p class="muted small" id="reset-email"')
    assert "hx-get" not in polled
    assert 'data-email-state="sent">email sent <time' in polled


def test_a_signed_in_user_asking_for_someone_elses_reset_is_told_nothing(owner_client, other_owner):
    page = owner_client.post("/forgot-password", {"email": other_owner.email}).content.decode()

    assert "Check your inbox" in page and "email-status" not in page
    assert (
        EmailDelivery.objects.filter(user=other_owner, kind=EmailKind.PASSWORD_RESET).count() == 1
    )


def test_the_latest_state_for_a_user_respects_since(owner):
    assert email_delivery_state_latest_for_user(
        user=owner, kind=EmailKind.EMAIL_VERIFICATION
    ) == email_delivery_state_latest_for_user(
        user=owner, kind=EmailKind.EMAIL_VERIFICATION, since=None
    )
    later = timezone.now()
    assert (
        email_delivery_state_latest_for_user(
            user=owner, kind=EmailKind.EMAIL_VERIFICATION, since=later
        )
        is None
    )
