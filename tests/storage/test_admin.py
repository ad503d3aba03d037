import pytest

from genfans.storage.services import asset_create


@pytest.fixture
def staff_client(client, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(owner)
    return client


@pytest.mark.parametrize("state", ["", "live", "exempt", "deleted"])
def test_asset_admin_lists_with_signed_links(staff_client, team, state):
    asset = asset_create(team=team, kind="image", content=b"x", content_type="image/png")
    response = staff_client.get("/admin/storage/asset/", {"state": state} if state else {})
    assert response.status_code == 200
    html = response.content.decode()
    assert (f"/media/{asset.storage_key}?exp=" in html) == (state in ("", "live"))
    assert staff_client.get(f"/admin/storage/asset/{asset.pk}/change/").status_code == 200
