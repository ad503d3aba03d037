"""What the files-expiring email says. Rendered when the worker sends it (see
`genfans.emails`), so it counts the files still there and goes only to a current owner."""

from django.conf import settings
from django.db.models import Count, Min
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from genfans.accounts.models import User
from genfans.emails.kinds import EmailContent
from genfans.emails.models import EmailDelivery
from genfans.storage.models import Asset
from genfans.studio.models import FilesExpiringNotice
from genfans.studio.selectors import GALLERY_KINDS
from genfans.teams.models import Role, TeamMember


def gallery_link() -> str:
    # BASE_URL, never a request's Host: the worker has no request, and a Host can be forged.
    return f"{settings.BASE_URL}/dashboard/gallery"


def files_expiring_render(delivery: EmailDelivery) -> EmailContent | None:
    notice = FilesExpiringNotice.objects.select_related("team").filter(deliveries=delivery).first()
    user = User.objects.filter(pk=delivery.user_id, is_active=True).first()
    if notice is None or user is None:
        return None
    if not TeamMember.objects.filter(team=notice.team, user=user, role=Role.OWNER).exists():
        return None
    now = timezone.now()
    left = Asset.objects.filter(
        team=notice.team,
        kind__in=GALLERY_KINDS,
        deleted_at__isnull=True,
        expires_at__gte=max(notice.first_expires_at, now),
        expires_at__lte=notice.last_expires_at,
    ).aggregate(files=Count("pk"), first=Min("expires_at"))
    if not left["files"]:
        return None  # deleted, kept or expired before the email went out
    context = {
        "team": notice.team,
        "files": left["files"],
        "first_date": date_format(timezone.localtime(left["first"]), "j F Y"),
        "last_date": date_format(timezone.localtime(notice.last_expires_at), "j F Y"),
        "retention_days": settings.RETENTION_DAYS,
        "link": gallery_link(),
    }
    return EmailContent(
        recipient=user.email,
        subject=f"{left['files']} GenFans file{'s' if left['files'] != 1 else ''} "
        f"of {notice.team.name} expire soon",
        body=render_to_string("studio/email/files_expiring.txt", context),
    )
