"""Text that must fit on one line (every name): a line break or tab there is refused, because
it would be stored, shown in lists and sent in emails and Stripe receipts as it came."""

import re

from genfans.core.errors import InvalidText

LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]")


def text_line(value: str | None, *, field: str) -> str:
    """`value` without surrounding spaces; InvalidText when it holds a line break or tab."""
    value = (value or "").strip()
    if LINE_BREAKS.search(value):
        raise InvalidText(field=field)
    return value
