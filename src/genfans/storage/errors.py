"""Storage and upload errors. Statuses are chosen in `api/errors.py` from these codes."""

from genfans.core.errors import ValidationError


class FileTooLarge(ValidationError):
    code = "file_too_large"
    default_message = "The file is too large."


class UnsupportedFileType(ValidationError):
    code = "unsupported_file_type"
    default_message = "Only JPEG, PNG and WebP images are accepted."


class ImageTooLarge(ValidationError):
    code = "image_too_large"
    default_message = "The image's dimensions are too large."


class InvalidImage(ValidationError):
    code = "invalid_image"
    default_message = "The file is not a readable image."


class PhotoTooSmall(ValidationError):
    code = "photo_too_small"
    default_message = "The photo is too small."
