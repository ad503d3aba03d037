"""Test images built in memory."""

import io
import struct
import zlib

from PIL import Image


def image_bytes(fmt="JPEG", size=(40, 30), color=(200, 40, 90), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_exif(*, orientation: int = 6, size=(40, 30)) -> bytes:
    """A landscape JPEG whose EXIF says "rotate 90°", with GPS coordinates and a camera."""
    image = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height`: a decompression bomb's signature."""
    data = bytearray(image_bytes("PNG", size=(1, 1), mode="L", color=0))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    start = 8 + 4 + 4  # signature, chunk length, chunk type
    data[start : start + 13] = ihdr
    crc = zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF
    data[start + 13 : start + 17] = struct.pack(">I", crc)
    return bytes(data)


def phone_mpo(size=(48, 32)) -> bytes:
    """A multi-picture JPEG as phones write it: the photo plus a second frame, rotated by EXIF."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90°
    photo = Image.new("RGB", size, (200, 60, 20))
    depth = Image.new("RGB", size, (0, 0, 0))
    out = io.BytesIO()
    photo.save(out, format="MPO", save_all=True, append_images=[depth], exif=exif)
    return out.getvalue()
