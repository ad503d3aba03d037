from django.shortcuts import render

from genfans.teams.selectors import member_count_for_team, membership_list_for_user
from genfans.web.decorators import team_required


@team_required
def home(request):
    return render(
        request,
        "web/dashboard/home.html",
        {
            "member_count": member_count_for_team(team=request.team),
            "memberships": membership_list_for_user(user=request.user),
        },
    )
