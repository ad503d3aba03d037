"""Sign up → invite a teammate → they join through the link → the owner removes them →
they lose access."""

from playwright.sync_api import expect

from genfans.teams.models import Invitation, TeamMember
from tests.factories import PASSWORD


def test_invite_join_and_remove(live_server, browser):
    owner_ctx = browser.new_context()
    owner = owner_ctx.new_page()
    owner.goto(live_server.url + "/sign-up")
    owner.get_by_label("Name").fill("Ada")
    owner.get_by_label("Email").fill("ada@example.com")
    owner.get_by_label("Password").fill(PASSWORD)
    owner.get_by_role("button", name="Create account").click()
    expect(owner).to_have_url(live_server.url + "/dashboard/")

    owner.get_by_role("link", name="Team", exact=True).click()
    expect(owner).to_have_url(live_server.url + "/dashboard/team")
    owner.get_by_label("Email").fill("mia@example.com")
    owner.get_by_role("button", name="Send invitation").click()
    expect(owner.get_by_text("Invitation sent to mia@example.com.")).to_be_visible()
    expect(owner.locator("[data-invitation='mia@example.com']")).to_be_visible()

    invitation = Invitation.objects.get(email="mia@example.com")
    mia_ctx = browser.new_context()
    mia = mia_ctx.new_page()
    mia.goto(f"{live_server.url}/invite/{invitation.id}")
    expect(mia.get_by_role("heading", name="Join Ada's team")).to_be_visible()
    mia.get_by_role("link", name="Create an account and join").click()
    expect(mia.get_by_label("Email")).to_have_value("mia@example.com")
    mia.get_by_label("Name").fill("Mia")
    mia.get_by_label("Password").fill(PASSWORD)
    mia.get_by_role("button", name="Create account and join").click()
    expect(mia).to_have_url(live_server.url + "/dashboard/")
    expect(mia.locator(".sidebar")).to_contain_text("Ada's team")
    assert mia.request.get(live_server.url + "/api/team").json()["name"] == "Ada's team"
    team = TeamMember.objects.get(user__email="ada@example.com").team
    assert TeamMember.objects.filter(team=team).count() == 2

    owner.reload()
    member_row = owner.locator("[data-member='mia@example.com']")
    expect(member_row).to_be_visible()
    owner.on("dialog", lambda dialog: dialog.accept())
    member_row.get_by_role("button", name="Remove").click()
    expect(owner.get_by_text("Member removed.")).to_be_visible()
    expect(owner.locator("[data-member='mia@example.com']")).to_have_count(0)

    mia.goto(live_server.url + "/dashboard/")
    expect(mia).to_have_url(live_server.url + "/welcome")
    expect(mia.get_by_role("heading", name="You're not in a team")).to_be_visible()
    expect(mia.get_by_text("Ada's team")).to_have_count(0)
    api = mia.request.get(live_server.url + "/api/team")
    assert api.status == 404
    assert api.json()["error"]["code"] == "no_team"
    assert not TeamMember.objects.filter(team=team, user__email="mia@example.com").exists()
    owner_ctx.close()
    mia_ctx.close()
