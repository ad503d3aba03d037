from genfans.core.errors import NotFound


class ReferenceModelNotFound(NotFound):
    code = "not_found"
    default_message = "Reference model not found."
