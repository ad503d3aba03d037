"""The foundation around accounts: settings from the environment, the command, sessions,
admin. Settings are checked in a fresh interpreter, as a deployment would load them."""

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from genfans.accounts.models import ApiKey, User
from genfans.teams.models import ActivityLog, Invitation, Team, TeamMember
from tests.factories import make_api_key

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "options": {k: str(v) for k, v in settings.DATABASES["default"].get("OPTIONS", {}).items()},
    "hosts": settings.ALLOWED_HOSTS,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "hasher": settings.PASSWORD_HASHERS[0],
    "session_age": settings.SESSION_COOKIE_AGE,
}))
"""


def load_settings(tmp_path, **env):
    base = {
        "PATH": "/usr/bin:/bin",
        "GENFANS_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "genfans.config.settings",
        "PYTHONPATH": "src",
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_development_defaults(tmp_path):
    result = load_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["debug"] is True
    assert cfg["engine"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in cfg["options"]["init_command"]
    assert cfg["hasher"] == "django.contrib.auth.hashers.BCryptSHA256PasswordHasher"
    assert cfg["session_age"] == 24 * 60 * 60


def test_production_refuses_to_start_without_auth_secret(tmp_path):
    result = load_settings(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "AUTH_SECRET is not set" in result.stderr


def test_production_cookies_and_hosts(tmp_path):
    result = load_settings(
        tmp_path, DEBUG="false", AUTH_SECRET="x" * 50, BASE_URL="https://studio.example.com"
    )
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["session_secure"] is True and cfg["csrf_secure"] is True
    assert cfg["hosts"] == ["studio.example.com"]


def test_production_cookies_over_http_are_not_secure(tmp_path):
    """Browsers would never send Secure cookies back to an http:// BASE_URL."""
    result = load_settings(
        tmp_path, DEBUG="false", AUTH_SECRET="x" * 50, BASE_URL="http://127.0.0.1:8000"
    )
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["session_secure"] is False and cfg["csrf_secure"] is False


def test_a_sqlite_url_gets_the_default_files_tuning(tmp_path):
    default = json.loads(load_settings(tmp_path).stdout)
    result = load_settings(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}")
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["engine"] == "django.db.backends.sqlite3"
    assert cfg["options"] == default["options"]
    assert cfg["options"]["transaction_mode"] == "IMMEDIATE"
    assert cfg["options"]["timeout"] == "20"
    assert "journal_mode=WAL" in cfg["options"]["init_command"]


@pytest.mark.parametrize("var", ["DATABASE_URL", "POSTGRES_URL"])
def test_database_url_switches_to_postgresql(tmp_path, var):
    result = load_settings(tmp_path, **{var: "postgres://u:p@db.example.com:5432/genfans"})
    assert json.loads(result.stdout)["engine"] == "django.db.backends.postgresql"


def test_genfans_help_lists_the_commands():
    result = subprocess.run(
        [sys.executable, "-c", "from genfans.cli import main; main(['--help'])"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    for command in ("run", "serve", "migrate", "makemigrations", "seed", "createsuperuser"):
        assert f"  {command} " in result.stdout


@pytest.mark.django_db
def test_sessions_slide_on_get(owner_client):
    owner_client.get("/dashboard/")
    session = owner_client.session
    first = session.get_expiry_date()
    assert timedelta(hours=23, minutes=59) < first - timezone.now() <= timedelta(hours=24)


@pytest.mark.django_db
def test_session_expiry_moves_forward_on_each_get(owner_client, settings):
    from django.contrib.sessions.models import Session

    owner_client.get("/dashboard/")
    key = owner_client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    owner_client.get("/dashboard/team")
    expire = Session.objects.get(session_key=key).expire_date
    assert expire - timezone.now() > timedelta(hours=23)


@pytest.mark.django_db
def test_admin_lists_every_model_for_superusers_only(client, owner, team):
    make_api_key(team=team, user=owner)
    Invitation.objects.create(team=team, email="x@example.com", invited_by=owner)
    staff = User.objects.create_superuser(email="admin@example.com", password="x-long-password")
    models = [User, ApiKey, Team, TeamMember, Invitation, ActivityLog]
    client.force_login(owner)
    for model in models:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 302
    client.force_login(staff)
    for model in models:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
    assert client.get(f"/admin/accounts/user/{owner.pk}/change/").status_code == 200
