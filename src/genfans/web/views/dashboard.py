from django.shortcuts import render

from genfans.web.decorators import team_required


@team_required
def home(request):
    return render(request, "web/dashboard/home.html")
