import re

import pytest
from django.core import mail
from django.test import Client

from genfans.accounts.emails import password_reset_link
from genfans.accounts.models import User
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db
NEW = "another-long-passphrase"


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/team",
        "/dashboard/activity",
        "/dashboard/api-keys",
        "/dashboard/general",
        "/dashboard/security",
    ],
)
def test_pages_render_and_need_sign_in(owner_client, url):
    assert owner_client.get(url).status_code == 200
    assert Client().get(url).status_code == 302


@pytest.mark.parametrize("url", ["/sign-in", "/sign-up", "/forgot-password", "/"])
def test_public_pages(client, db, url):
    assert client.get(url).status_code == 200


def test_general_page_updates_and_shows_errors(owner_client, owner):
    bad = owner_client.post("/dashboard/general", {"name": "O", "email": "nope"})
    assert bad.status_code == 400
    assert "Enter a valid email address." in bad.content.decode()
    ok = owner_client.post("/dashboard/general", {"name": "Olivia", "email": "olivia@example.com"})
    assert ok.status_code == 302
    owner.refresh_from_db()
    assert owner.email == "olivia@example.com"


def test_security_password_change(owner_client, owner):
    wrong = owner_client.post(
        "/dashboard/security/password", {"current_password": "nope", "new_password": NEW}
    )
    assert wrong.status_code == 400
    assert "That password is not correct." in wrong.content.decode()
    ok = owner_client.post(
        "/dashboard/security/password", {"current_password": PASSWORD, "new_password": NEW}
    )
    assert ok.status_code == 302
    assert owner_client.get("/dashboard/security").status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(NEW)


def test_security_sign_out_other_sessions(owner_client, owner):
    other = Client()
    other.post("/sign-in", {"email": "owner@example.com", "password": PASSWORD})
    assert other.get("/dashboard/").status_code == 200
    assert owner_client.post("/dashboard/security/sessions").status_code == 302
    assert owner_client.get("/dashboard/").status_code == 200
    assert other.get("/dashboard/").status_code == 302


def test_security_delete_account(owner_client, owner, team):
    member = make_member(team=team, email="mia@example.com")
    blocked = owner_client.post("/dashboard/security/delete", {"password": PASSWORD})
    assert blocked.status_code == 400
    assert "last owner" in blocked.content.decode()
    owner_client.logout()
    c = Client()
    c.force_login(member)
    assert c.post("/dashboard/security/delete", {"password": PASSWORD}).url == "/"
    assert not User.objects.filter(pk=member.pk).exists()
    assert c.get("/dashboard/").status_code == 302


def test_forgot_and_reset_password_pages(
    client, owner, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/forgot-password", {"email": "owner@example.com"})
    assert "Check your inbox" in response.content.decode()
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    weak = client.post("/" + path, {"password": "123"})
    assert weak.status_code == 400
    assert client.post("/" + path, {"password": NEW}).url == "/sign-in"
    assert client.get("/" + path).status_code == 400
    owner.refresh_from_db()
    assert owner.check_password(NEW)


def test_forgot_password_page_does_not_reveal_accounts(client, db):
    response = client.post("/forgot-password", {"email": "nobody@example.com"})
    assert "Check your inbox" in response.content.decode()
    assert client.post("/forgot-password", {"email": "bad"}).status_code == 400


def test_reset_page_with_bad_link(client, owner):
    assert client.get("/reset-password/xx/yy").status_code == 400
    uid = password_reset_link(owner).split("/")[-2]
    assert client.get(f"/reset-password/{uid}/bad-token").status_code == 400
