"""QR codes drawn as inline SVG: no image request, no third-party service, nothing for the CSP
to allow (the SVG has no style attribute or script)."""

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str) -> SafeString:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    # qrcode writes the SVG from its own path data; the text is encoded, never copied into it.
    return mark_safe(image.to_string(encoding="unicode"))
