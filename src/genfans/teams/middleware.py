from genfans.teams.selectors import membership_get

SESSION_TEAM_KEY = "team_id"


class CurrentTeamMiddleware:
    """Attach the signed-in user's current membership and team to the request.

    `request.membership` and `request.team` are None for visitors and API-key requests
    (the API's key authentication sets `request.team` itself).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.team = None
        if request.user.is_authenticated:
            membership = membership_get(
                user=request.user, team_id=request.session.get(SESSION_TEAM_KEY)
            )
            if membership:
                request.membership = membership
                request.team = membership.team
                if request.session.get(SESSION_TEAM_KEY) != str(membership.team_id):
                    request.session[SESSION_TEAM_KEY] = str(membership.team_id)
        return self.get_response(request)
