from playwright.sync_api import expect

from tests.factories import PASSWORD


def test_visitor_signs_up_and_reaches_dashboard(live_server, page):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Start free").click()
    page.get_by_label("Name").fill("Ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(live_server.url + "/dashboard/")
    expect(page.get_by_text("Welcome, Ada")).to_be_visible()
