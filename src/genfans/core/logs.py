"""Log filters. Query strings carry secrets (signed media URLs, webhook tokens, reset links'
parameters), so request lines are logged with the path only; gunicorn's access log does the
same through its format (`genfans serve`), this does it for the development server."""

import logging
import re

QUERY = re.compile(r"\?[^\s\"]*")


class QueryStringFilter(logging.Filter):
    """Drops the query string from the request line the development server logs (its first
    argument, as in `"GET /media/x?sig=… HTTP/1.1" 200 12`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (QUERY.sub("", record.args[0]), *record.args[1:])
        return True
