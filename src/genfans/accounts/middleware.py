class SlidingSessionMiddleware:
    """Sessions last SESSION_COOKIE_AGE from the last page view: every GET renews them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.method == "GET" and user is not None and user.is_authenticated:
            request.session.modified = True
        return response
