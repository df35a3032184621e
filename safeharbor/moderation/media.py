"""Reported media, fetched for the review page through the outbound client (address guard,
timeouts, size cap) and never passed through as they came: images are decoded within pixel
limits and re-encoded as PNG; videos are passed on only as MP4 or WebM."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from safeharbor.core.http_client import OutboundError, fetch
from safeharbor.moderation.models import Report

MAX_MEDIA_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
VIDEO_TYPES = {"video/mp4", "video/webm"}


class MediaUnavailable(Exception):
    """The media could not be fetched or is not a safe image or video."""


@dataclass(frozen=True)
class Media:
    content_type: str
    body: bytes

    @property
    def is_video(self) -> bool:
        return self.content_type.startswith("video/")


def fetch_media(report: Report) -> Media:
    if not report.media_url:
        raise MediaUnavailable("This report has no media address.")
    try:
        response = fetch("GET", report.media_url, max_bytes=MAX_MEDIA_BYTES, retries=1)
    except OutboundError as error:
        raise MediaUnavailable(str(error)) from None
    declared = (response.header("content-type") or "").split(";")[0].strip().lower()
    if declared in VIDEO_TYPES:
        return Media(declared, response.body)
    return Media("image/png", reencode_image(response.body))


def reencode_image(data: bytes) -> bytes:
    """Decode within limits (refusing decompression bombs and truncated files) and write a
    fresh PNG, so nothing but pixels reaches the reviewer's browser."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise MediaUnavailable("The image is too large to show.")
            image.load()
            converted = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as error:
        raise MediaUnavailable(f"Not a readable image: {error}") from None
    out = io.BytesIO()
    converted.save(out, format="PNG")
    return out.getvalue()
