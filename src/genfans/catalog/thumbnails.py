"""Deterministic catalog thumbnails, drawn with Pillow at seed time.

No stock photos are reachable offline, so each persona gets a distinct, quiet portrait
card: a two-tone gradient in its category's palette, a soft halo, a stylised silhouette
(hair shape from its attributes) and its monogram. The same slug always draws the same
image, so seeding is reproducible.
"""

import colorsys
import hashlib
import io

from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 384, 512
SCALE = 2  # drawn at twice the size, then downsampled: smooth edges without antialiasing

# Hue (0–1), saturation and lightness ranges per category.
PALETTES = {
    "fashion": (0.92, 0.45, 0.72),
    "fitness": (0.33, 0.45, 0.62),
    "beauty": (0.03, 0.50, 0.75),
    "lifestyle": (0.11, 0.50, 0.70),
    "editorial": (0.70, 0.30, 0.60),
    "travel": (0.55, 0.50, 0.62),
}


def _rgb(h: float, s: float, lightness: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, max(0, min(1, lightness)), max(0, min(1, s)))
    return int(r * 255), int(g * 255), int(b * 255)


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # Pillow without FreeType: the bitmap font
        return ImageFont.load_default()


def _initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isalpha()]
    return "".join(w[0].upper() for w in words[:2]) or "?"


HAIR_KEYWORDS = [
    ("bun", ("bun",)),
    ("bob", ("bob",)),
    ("short", ("short", "crop", "pixie", "fade", "shaved", "slicked")),
    ("long", ("long", "braid", "ponytail")),
    ("curly", ("curl", "afro")),
]


def _hair_style(attributes: dict, digest: bytes) -> str:
    hair = str(attributes.get("hair", "")).lower()
    for style, words in HAIR_KEYWORDS:
        if any(word in hair for word in words):
            return style
    return HAIR_KEYWORDS[digest[5] % len(HAIR_KEYWORDS)][0]


SAMPLE_VARIANTS = (1, 2)  # 1: a close-up, 2: the same person in warmer, golden light


def thumbnail_render(
    *, slug: str, name: str, category: str, attributes: dict, variant: int = 0
) -> bytes:
    """The persona's card (variant 0), or one of its sample shots (SAMPLE_VARIANTS)."""
    digest = hashlib.sha256(slug.encode()).digest()  # the person: tones, hair
    scene = digest if variant == 0 else hashlib.sha256(f"{slug}#{variant}".encode()).digest()
    hue, sat, light = PALETTES.get(category, (digest[0] / 255, 0.4, 0.65))
    hue += (digest[1] / 255 - 0.5) * 0.12
    background_hue = 0.07 + (scene[1] / 255 - 0.5) * 0.05 if variant == 2 else hue  # amber
    top = _rgb(background_hue, sat, light + 0.12)
    drift = -0.045 if variant == 2 else 0.06 + scene[2] / 255 * 0.08  # golden: toward red
    bottom = _rgb(background_hue + drift, sat + 0.1, light - 0.22)
    w, h = WIDTH * SCALE, HEIGHT * SCALE

    gradient = Image.linear_gradient("L").resize((1, h)).resize((w, h), Image.Resampling.NEAREST)
    image = Image.composite(
        Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top), gradient
    )

    # A soft halo behind the head, placed a little differently for every persona.
    # Blurred at an eighth of the size: a soft shape needs no detail, and it is 64× cheaper.
    sw, sh = w // 8, h // 8
    halo = Image.new("L", (sw, sh), 0)
    cx = int(sw * (0.42 + scene[3] / 255 * 0.16))
    cy = int(sh * (0.30 + scene[4] / 255 * 0.08))
    r = int(sw * 0.36)
    ImageDraw.Draw(halo).ellipse((cx - r, cy - r, cx + r, cy + r), fill=110)
    halo = halo.filter(ImageFilter.GaussianBlur(sw // 10)).resize((w, h), Image.Resampling.BILINEAR)
    image = Image.composite(Image.new("RGB", (w, h), _rgb(hue, sat * 0.6, 0.94)), image, halo)

    # The silhouette: shoulders and neck, hair, face and hairline in deep tones of the
    # palette (hair darkest, face lightest) so the shape reads as a portrait.
    body = _rgb(hue + 0.02, sat * 0.6, 0.22 + digest[6] / 255 * 0.06)
    face = _rgb(hue + 0.02, sat * 0.5, 0.30 + digest[6] / 255 * 0.06)
    hair = _rgb(hue + 0.02, sat * 0.7, 0.12 + digest[7] / 255 * 0.05)
    draw = ImageDraw.Draw(image)
    cx, cy = w // 2, int(h * 0.42)
    rx, ry = int(w * 0.12), int(w * 0.15)
    style = _hair_style(attributes, digest)
    shoulder_top = cy + ry * 1.5
    draw.ellipse((w * 0.10, shoulder_top, w * 0.90, shoulder_top + h * 0.75), fill=body)
    draw.rectangle(
        (cx - rx * 0.5, cy + ry * 0.5, cx + rx * 0.5, shoulder_top + ry * 0.3), fill=face
    )
    if style == "long":
        draw.rounded_rectangle(
            (cx - rx * 1.32, cy - ry * 1.12, cx + rx * 1.32, cy + ry * 2.2),
            radius=int(rx * 1.1),
            fill=hair,
        )
    elif style == "bob":
        draw.rounded_rectangle(
            (cx - rx * 1.3, cy - ry * 1.15, cx + rx * 1.3, cy + ry * 0.95),
            radius=int(rx * 0.9),
            fill=hair,
        )
    elif style == "curly":
        for i in range(11):
            t = (i - 5) / 5
            bx = cx + t * rx * 1.12
            by = cy - ry * (0.78 - abs(t) * 0.5)
            rr = rx * 0.46
            draw.ellipse((bx - rr, by - rr, bx + rr, by + rr), fill=hair)
    elif style == "bun":
        rr = rx * 0.52
        draw.ellipse((cx - rr, cy - ry * 1.38 - rr, cx + rr, cy - ry * 1.38 + rr), fill=hair)
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=face)
    # Hairline: the top of the head, a little lower on the sides.
    draw.chord((cx - rx * 1.06, cy - ry * 1.1, cx + rx * 1.06, cy + ry * 0.55), 180, 360, fill=hair)

    if variant == 1:  # head and shoulders, closer
        crop_w = int(w * 0.62)
        crop_h = crop_w * h // w
        left = cx - crop_w // 2
        top_edge = max(0, int(cy - crop_h * 0.42))
        image = image.crop((left, top_edge, left + crop_w, top_edge + crop_h)).resize(
            (WIDTH, HEIGHT), Image.Resampling.BILINEAR
        )
        return _jpeg(image)
    if variant:
        return _jpeg(image.reduce(SCALE))

    # Monogram and a thin rule, bottom left, in the halo's light tone.
    light_tone = _rgb(hue, sat * 0.35, 0.95)
    margin = int(w * 0.08)
    font = _font(int(w * 0.13))
    draw.text((margin, h - margin - int(w * 0.15)), _initials(name), font=font, fill=light_tone)
    draw.line(
        (margin, h - margin, margin + int(w * 0.18), h - margin), fill=light_tone, width=SCALE * 2
    )

    return _jpeg(image.reduce(SCALE))


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=86)
    return out.getvalue()
