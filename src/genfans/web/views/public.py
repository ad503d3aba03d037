from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET


def landing(request):
    return render(request, "web/landing.html")


@require_GET
def favicon(request):
    # For clients that ask /favicon.ico without reading the page's <link rel="icon">. Not
    # permanent: the target's hashed name changes with the icon.
    return redirect(static("genfans/favicon.svg"))
