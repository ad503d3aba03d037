from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "genfans.studio"
    label = "studio"
    # What the emails this app sends say (see genfans.emails.kinds).
    email_renderers = {"files_expiring": "genfans.studio.emails.files_expiring_render"}
