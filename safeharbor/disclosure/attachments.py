"""Checks on uploaded files: size, type by content (never by name), image decompression bombs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS_PER_REPORT = 10
# Images are refused beyond this many pixels, well below Pillow's own bomb limit.
MAX_IMAGE_PIXELS = 40_000_000
ALLOWED_DESCRIPTION = "PNG, JPEG, GIF, PDF, MP4 or plain text"


class AttachmentRefused(ValueError):
    """The file cannot be attached; the message tells the uploader why and what to do."""


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str


def sniff(head: bytes) -> CheckedFile | None:
    """The type of a file from its first bytes, or None if it is not one we accept."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return CheckedFile("image/png", "png")
    if head.startswith(b"\xff\xd8\xff"):
        return CheckedFile("image/jpeg", "jpg")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return CheckedFile("image/gif", "gif")
    if head.startswith(b"%PDF-"):
        return CheckedFile("application/pdf", "pdf")
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return CheckedFile("video/mp4", "mp4")
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is still text.
            if error.start < len(head) - 4:
                return None
        return CheckedFile("text/plain", "txt")
    return None


def check_upload(stream: IO[bytes], size: int, name: str) -> CheckedFile:
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(
            f"{name} is {size / 1024 / 1024:.1f} MB; attachments may be at most "
            f"{MAX_ATTACHMENT_BYTES // 1024 // 1024} MB. Compress it or share a smaller excerpt."
        )
    if size == 0:
        raise AttachmentRefused(f"{name} is empty.")
    stream.seek(0)
    head = stream.read(4096)
    stream.seek(0)
    checked = sniff(head)
    if checked is None:
        raise AttachmentRefused(
            f"{name} is not a file type we accept (its content was checked, not its name). "
            f"Attach {ALLOWED_DESCRIPTION}."
        )
    if checked.content_type.startswith("image/"):
        _check_image(stream, name)
    return checked


def _check_image(stream: IO[bytes], name: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise AttachmentRefused(
                        f"{name} is {width}x{height} pixels; images may have at most "
                        f"{MAX_IMAGE_PIXELS // 1_000_000} million pixels."
                    )
                image.verify()
    except AttachmentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AttachmentRefused(f"{name} is too large an image to accept.") from None
    except Exception:  # Pillow raises many kinds of error for broken files
        raise AttachmentRefused(f"{name} is not a readable image.") from None
    finally:
        stream.seek(0)
