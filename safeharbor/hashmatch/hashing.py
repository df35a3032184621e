"""Hashes of uploaded media: MD5 and SHA-256 of every file, PDQ of images (issue 7).

``hash_media(data)`` is what the upload paths call. It never lets a bad file escape as anything but
``UnreadableMedia`` (whose message is shown to the uploader), and a file that is not an image is
not an error: it gets its exact-file hashes and no PDQ hash.

How an image becomes a PDQ hash (Meta's reference C++ through ``pdqhash``):

1. Pillow reads the header only; more than ``MAX_PIXELS`` pixels is refused before any decoding.
   Only common still-image formats are opened (no EPS/Ghostscript, PSD, ...). Animated images give
   their first frame.
2. JPEGs decode in draft mode: libjpeg scales by 1/2, 1/4 or 1/8 while decoding, as long as both
   sides stay at least ``PDQ_SIDE`` (a 1-megapixel photo decodes at 576x432, 4x fewer pixels).
3. EXIF orientation is applied (``ImageOps.exif_transpose``), so a phone photo hashes as it is
   displayed; a malformed EXIF block is ignored rather than refusing the image.
4. Colour modes become 8-bit RGB: transparency is flattened on **white** (what browsers and
   ImageMagick's ``-flatten`` show), 16-bit and 32-bit greyscale are scaled to 8 bits (not
   clipped), CMYK, palette, 1-bit and greyscale are converted.
5. Letterbox bars are stripped (``content_box``): at least 2 uniform near-black or near-white
   rows or columns on an edge, plus up to 12 near-black/white JPEG-ringing lines next to the
   picture, leaving at least a quarter of the side (a 9:16 phone video in a 16:9 frame is a
   third). Bars move a PDQ hash by 70-130 bits; stripped, a letterboxed copy stays within 12 bits
   of the original in our tests. Uniform margins are bars whatever their origin (a product shot
   on white), so ``PdqHash.unstripped`` keeps the hash of the image with its bars: bank hashes
   are computed by tools that do not strip, so match that one too.
6. Each side longer than ``PDQ_SIDE`` (384) is resized to 384 (bilinear), independently: PDQ
   samples each axis down to 64 on its own, so the aspect ratio does not enter the hash, and the
   reference C++ box-filters with a window of ceil(side / 128) pixels. At 384 that window is 3 (odd,
   so centred, and half a sampling step, as for a large image); at 512 it is 4 (even, off-centre by
   half a pixel), which moved hashes over twice as far from the full-size hash (mean 6.9 bits,
   max 14 at 512 against 2.6 and 8 at 384, on Meta's 20 bridge images and 5 generated photos;
   256 was worse still: 12.9 and 22).
7. ``pdqhash.compute_dihedral`` hashes the pixels; its first hash is ``pdqhash.compute``'s.
   Below quality ``PDQ_MIN_QUALITY`` (flat images) or ``PDQ_MIN_SIDE`` pixels a side (PDQ gives
   even a 5x5 noise image quality 100) there is no usable hash.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pdqhash
from numpy.typing import NDArray
from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

from safeharbor.hashmatch.models import PDQ_MIN_QUALITY

__all__ = [
    "MAX_MEDIA_BYTES",
    "MAX_PIXELS",
    "PDQ_MIN_QUALITY",
    "PDQ_MIN_SIDE",
    "PDQ_SIDE",
    "MediaHashes",
    "NoUsableHash",
    "PdqHash",
    "UnreadableMedia",
    "hamming",
    "hash_media",
    "parse_hash",
    "pdq_hex",
    "pdq_of_image",
    "pdq_pixels",
]

logger = logging.getLogger(__name__)

MAX_MEDIA_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 50_000_000  # checked from the header, before decoding (Pillow's own limit is ~89M)
PDQ_SIDE = 384  # each side longer than this is downscaled to it before hashing (see step 6)
PDQ_MIN_SIDE = 32  # PDQ gives smaller images (even 5x5 noise) quality 100, but means nothing
# Still-image formats we decode. Others Pillow knows (EPS runs Ghostscript, PSD, FITS, ...) are
# treated as "not an image"; MPO (multi-picture JPEG from cameras) opens as JPEG.
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "AVIF", "BMP", "TIFF", "JPEG2000", "PPM")

# Letterbox bars (see content_box): lines whose pixels (all but 1%) have every channel <= DARK,
# or every channel >= LIGHT; uniform ones also differ by at most BAR_SPREAD.
BAR_DARK = 40
BAR_LIGHT = 215
BAR_SPREAD = 16
BAR_OUTLIERS = 0.01
BAR_MIN_LINES = 2  # uniform lines from the edge needed to make a bar
BAR_RINGING = 12  # then up to this many near-black/white but not uniform lines (JPEG ringing)
CONTENT_MIN_FRACTION = 0.25  # never strip more than three quarters of a side

WHITE = (255, 255, 255)
HEX_LENGTHS = {"pdq": 64, "md5": 32, "sha256": 64}
HASH_NAMES = {"pdq": "a PDQ hash", "md5": "an MD5 hash", "sha256": "a SHA-256 hash"}
_HEX64 = re.compile(r"[0-9a-f]{64}", re.IGNORECASE)
_NOT_HEX = re.compile(r"[^0-9a-f]")
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")

# ISO base-media (ftyp) brands that are still images (HEIF/HEIC, AVIF) or audio, not video.
_IMAGE_BRANDS = {
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"mif2", b"msf1", b"avif",
    b"avis", b"avci",
}  # fmt: skip
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


class UnreadableMedia(ValueError):
    """The file cannot be hashed as given; ``str()`` is a sentence to show the uploader."""


class NoUsableHash(UnreadableMedia):
    """The image decodes but has no usable PDQ hash; ``reason`` is the short phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The image has no usable PDQ hash: {reason}.")
        self.reason = reason


@dataclass(frozen=True)
class PdqHash:
    hash: str  # 64 lower-case hex: the image as displayed (EXIF orientation), bars stripped
    quality: int  # 0..100
    # The 8 dihedral hashes in pdqhash's order: original (== hash), rotated 90, 180, 270,
    # flipped left-right, flipped top-bottom, flipped on the main diagonal, on the other diagonal.
    dihedral: tuple[str, ...]
    # The hash of the image with its letterbox bars, when bars were stripped ("" otherwise):
    # bank hashes are computed by tools that do not strip bars, so match this one too.
    unstripped: str = ""


@dataclass(frozen=True)
class MediaHashes:
    md5: str
    sha256: str
    size: int
    kind: str  # "image", "video" or "other"
    pdq: PdqHash | None
    pdq_unusable: str  # "" when pdq is set; else why there is none


def hash_media(data: bytes) -> MediaHashes:
    """MD5 and SHA-256 of any non-empty file, and the PDQ hash of an image.

    Raises ``UnreadableMedia`` for an empty file, a file over ``MAX_MEDIA_BYTES``, and an image
    that Pillow recognises but cannot decode (truncated, corrupt, over ``MAX_PIXELS``). A file that
    is not an image, or an image with no usable PDQ hash, is not an error: ``pdq`` is None and
    ``pdq_unusable`` says why.
    """
    _check_size(data)
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    sha256 = hashlib.sha256(data).hexdigest()

    def result(kind: str, pdq: PdqHash | None, unusable: str = "") -> MediaHashes:
        return MediaHashes(md5, sha256, len(data), kind, pdq, unusable)

    sniffed = sniff_kind(data)
    if sniffed == "video":
        return result("video", None, "a video (PDQ hashes still images only)")
    with _pillow_warnings():
        image = _open(data)
        if image is None:
            if sniffed == "image":
                return result("image", None, "a HEIF/HEIC or AVIF image that cannot be decoded")
            return result("other", None, "not an image")
        try:
            return result("image", _pdq(image))
        except NoUsableHash as error:
            return result("image", None, error.reason)
        finally:
            image.close()


def pdq_of_image(data: bytes) -> PdqHash:
    """The PDQ hash of an image file.

    Raises ``UnreadableMedia`` when the file is not an image or cannot be decoded, and
    ``NoUsableHash`` (a subclass) when the image's quality is below ``PDQ_MIN_QUALITY`` or it is
    smaller than ``PDQ_MIN_SIDE`` pixels on a side.
    """
    _check_size(data)
    with _pillow_warnings(), _open_image(data) as image:
        return _pdq(image)


def pdq_pixels(data: bytes) -> NDArray[np.uint8]:
    """The HxWx3 uint8 array ``pdq_of_image`` hands to pdqhash: decoded (JPEG in draft mode),
    oriented, 8-bit RGB, letterbox bars stripped, each side at most ``PDQ_SIDE``."""
    _check_size(data)
    with _pillow_warnings(), _open_image(data) as image:
        rgb = _decode(image)
        return _for_pdq(rgb, _content_box_of(rgb))


def pdq_hex(bits: Iterable[int] | NDArray[Any]) -> str:
    """256 bits (the first the most significant) as 64 lower-case hex characters, as Meta does."""
    array = np.asarray(bits if isinstance(bits, np.ndarray) else list(bits))
    if array.shape != (256,):
        raise ValueError(f"a PDQ hash has 256 bits, got an array of shape {array.shape}")
    if not np.all((array == 0) | (array == 1)):
        raise ValueError("a PDQ bit vector may contain only 0 and 1")
    return np.packbits(array.astype(np.uint8)).tobytes().hex()


def hamming(a_hex: str, b_hex: str) -> int:
    """The number of differing bits of two PDQ hashes (64 hex characters each)."""
    if not (_HEX64.fullmatch(a_hex) and _HEX64.fullmatch(b_hex)):
        raise ValueError("a PDQ hash is 64 hexadecimal characters")
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


def parse_hash(signal_type: str, value: str) -> str:
    """``value`` as a hash of ``signal_type`` ("pdq", "md5", "sha256"): stripped, lower-case.

    Raises ``ValueError`` with a message naming what is wrong.
    """
    kind = str(signal_type).strip().lower()
    if kind not in HEX_LENGTHS:
        raise ValueError(f"unknown signal type {signal_type!r}: expected pdq, md5 or sha256")
    length, name = HEX_LENGTHS[kind], HASH_NAMES[kind]
    text = value.strip().lower()
    if not text:
        raise ValueError(f"expected {length} hexadecimal characters for {name}, got nothing")
    bad = _NOT_HEX.search(text)
    if bad:
        raise ValueError(
            f"{name} may contain only hexadecimal characters (0-9, a-f); found {bad.group()!r} "
            f"at position {bad.start() + 1}"
        )
    if len(text) != length:
        raise ValueError(f"expected {length} hexadecimal characters for {name}, got {len(text)}")
    return text


def sniff_kind(head: bytes) -> str | None:
    """The kind a file's first bytes declare: "video", "image" (HEIF/AVIF) or None.

    Images that Pillow decodes are recognised by Pillow; this finds videos (MP4/MOV and other
    ISO base-media files, WebM/Matroska, AVI, FLV, ASF/WMV, MPEG) and HEIF/AVIF still images.
    """
    # An ISO base-media box: 4-byte size (a first byte of 0: under 16 MiB, never text), type.
    if len(head) >= 12 and head[0] == 0 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return "image"
        return None if brand in _AUDIO_BRANDS else "video"
    if len(head) >= 8 and head[0] == 0 and head[4:8] in _QUICKTIME_ATOMS:
        return "video"  # QuickTime files that predate the ftyp box
    if head.startswith((b"\x1a\x45\xdf\xa3", b"FLV\x01", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return "video"  # Matroska/WebM, Flash video, MPEG program stream, MPEG-1/2 video
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "video"  # ASF (WMV)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return "video"  # MPEG transport stream: a sync byte every 188 bytes
    return None


# --- decoding -------------------------------------------------------------------------------


def _check_size(data: bytes) -> None:
    if len(data) == 0:
        raise UnreadableMedia("The file is empty.")
    if len(data) > MAX_MEDIA_BYTES:
        raise UnreadableMedia(
            f"The file is {len(data) / 1024 / 1024:.1f} MiB ({len(data):,} bytes); at most "
            f"{MAX_MEDIA_BYTES // 1024 // 1024} MiB are accepted."
        )


@contextmanager
def _pillow_warnings() -> Iterator[None]:
    """Pillow's decompression-bomb warning raised as an error; its other warnings (corrupt EXIF,
    malformed MPO, ...) silenced: bad metadata must not stop hashing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


@contextmanager
def _open_image(data: bytes) -> Iterator[Image.Image]:
    """``_open`` for callers that need an image: anything else is ``UnreadableMedia``."""
    image = _open(data)
    if image is None:
        raise UnreadableMedia(
            "The file is not an image that can be hashed (JPEG, PNG, GIF, WebP, AVIF, BMP, TIFF, "
            "JPEG 2000 or PPM)."
        )
    try:
        yield image
    finally:
        image.close()


def _too_many_pixels(width: int, height: int) -> UnreadableMedia:
    return UnreadableMedia(
        f"The image is {width}x{height} pixels; at most {MAX_PIXELS:,} pixels are accepted."
    )


def _bomb(error: Exception) -> UnreadableMedia:
    """The refusal for Pillow's decompression-bomb error, which gives a pixel count."""
    found = _BOMB_PIXELS.search(str(error))
    pixels = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
    return UnreadableMedia(f"The image has {pixels}; at most {MAX_PIXELS:,} pixels are accepted.")


def _open(data: bytes) -> Image.Image | None:
    """The image in ``data`` with only its header read, None if Pillow does not recognise it."""
    try:
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except UnidentifiedImageError:
        return None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Over Pillow's own limit (~89 million pixels): Pillow does not say the size, so read it.
        size = _header_size(data)
        if size and size[0] * size[1] > MAX_PIXELS:
            raise _too_many_pixels(*size) from None
        raise _bomb(error) from None  # e.g. a GIF frame larger than the screen its header gives
    except Exception as error:  # a plugin failing on a header it claimed
        logger.debug("image header unreadable: %r", error)
        raise UnreadableMedia("The image is truncated or corrupt.") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise _too_many_pixels(width, height)
    if width <= 0 or height <= 0:
        image.close()
        raise UnreadableMedia("The image is truncated or corrupt.")
    return image


def _header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF or JPEG header, for the message about a huge image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"\xff\xd8"):
        at = 2
        while at + 9 <= len(data) and data[at] == 0xFF:
            marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(data[at + 5 : at + 7], "big")
                return int.from_bytes(data[at + 7 : at + 9], "big"), height
            at += 2 + length
    return None


def _pdq(image: Image.Image) -> PdqHash:
    try:
        return _pdq_of(image)
    except UnreadableMedia:
        raise
    except Exception:  # a Pillow or pdqhash failure we did not foresee: never crash the worker
        logger.warning("PDQ hashing failed", exc_info=True)
        raise UnreadableMedia("The image could not be processed.") from None


def _pdq_of(image: Image.Image) -> PdqHash:
    width, height = image.size
    if min(width, height) < PDQ_MIN_SIDE:
        raise NoUsableHash(
            f"the image is {width}x{height} pixels, too small to hash "
            f"(at least {PDQ_MIN_SIDE} on each side)"
        )
    rgb = _decode(image)
    box = _content_box_of(rgb)
    full = (0, 0, rgb.width, rgb.height)
    vectors, quality = pdqhash.compute_dihedral(_for_pdq(rgb, box))
    quality = int(quality)
    if quality < PDQ_MIN_QUALITY:
        raise NoUsableHash(
            f"quality {quality} is below {PDQ_MIN_QUALITY} "
            "(the image is too flat or too small to hash)"
        )
    dihedral = tuple(pdq_hex(vector) for vector in vectors)
    unstripped = ""
    if box != full:
        unstripped = pdq_hex(pdqhash.compute(_for_pdq(rgb, full))[0])
    return PdqHash(dihedral[0], quality, dihedral, unstripped)


def _decode(image: Image.Image) -> Image.Image:
    """The first frame, decoded (JPEG in draft mode), oriented, as 8-bit RGB."""
    width, height = image.size
    try:
        if isinstance(image, JpegImagePlugin.JpegImageFile):
            image.draft("RGB", (min(width, PDQ_SIDE), min(height, PDQ_SIDE)))
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _bomb(error) from None  # a frame larger than the header said (GIF)
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, EOFError, ...
        logger.debug("image undecodable: %r", error)
        raise UnreadableMedia("The image is truncated or corrupt.") from None
    if image.width * image.height > MAX_PIXELS:  # a GIF frame may be larger than its screen
        raise _too_many_pixels(*image.size)
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception as error:  # a malformed EXIF block: hash the pixels as stored
        logger.debug("EXIF orientation ignored: %r", error)
    try:
        return _to_rgb(image)
    except (ValueError, OSError) as error:
        raise UnreadableMedia(f"The image's colour mode ({image.mode}) is not supported.") from (
            error
        )


def _to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode == "RGB" and not image.has_transparency_data:
        return image
    if mode.startswith("I") or mode == "F":
        return Image.fromarray(_eight_bit(np.asarray(image)), "L").convert("RGB")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _eight_bit(array: NDArray[Any]) -> NDArray[np.uint8]:
    """A 16-bit, 32-bit or float greyscale array scaled to 0..255."""
    values = array.astype(np.float64)
    if array.dtype.kind in "ui" and array.dtype.itemsize == 2:
        values = values / 257.0  # 16-bit: 65535 -> 255
    else:
        top = float(values.max()) if values.size else 0.0
        low = float(values.min()) if values.size else 0.0
        if array.dtype.kind == "f" and low >= 0 and top <= 1.0:
            values = values * 255.0
        elif low < 0 or top > 65535:
            values = (values - low) * (255.0 / max(top - low, 1e-9))
        elif top > 255:
            values = values / 257.0
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _for_pdq(rgb: Image.Image, box: tuple[int, int, int, int]) -> NDArray[np.uint8]:
    """The box of ``rgb``, each side longer than PDQ_SIDE resized to PDQ_SIDE, as HxWx3."""
    width, height = box[2] - box[0], box[3] - box[1]
    size = (min(width, PDQ_SIDE), min(height, PDQ_SIDE))
    if size != (width, height):
        resized = rgb.resize(size, Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
    elif box != (0, 0, rgb.width, rgb.height):
        resized = rgb.crop(box)
    else:
        resized = rgb
    return np.asarray(resized)


def content_box(rgb: NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of ``rgb`` (HxWx3 uint8) without its letterbox bars.

    A bar is a run of at least 2 uniform lines (rows or columns) from an edge, near-black or
    near-white, extended inward by up to BAR_RINGING lines that are still near-black or near-white
    but not uniform (JPEG ringing next to the picture). What remains is at least a quarter of each
    side. Rows are stripped first, then columns over the remaining rows.
    """
    height, width = rgb.shape[:2]
    high = rgb.max(axis=2)
    low = rgb.min(axis=2)
    top, bottom = _strip(*_bar_lines(high, low), height)
    left, right = _strip(*_bar_lines(high[top:bottom].T, low[top:bottom].T), width)
    return left, top, right, bottom


def _content_box_of(image: Image.Image) -> tuple[int, int, int, int]:
    """``content_box`` of an RGB image, looking at its edge lines first (almost always enough)."""
    width, height = image.size
    edges = [(0, 0, width, 1), (0, height - 1, width, height)]
    edges += [(0, 0, 1, height), (width - 1, 0, width, height)]
    for edge in edges:
        line = np.asarray(image.crop(edge)).reshape(1, -1, 3)
        if _bar_lines(line.max(axis=2), line.min(axis=2))[0][0]:
            return content_box(np.asarray(image))
    return 0, 0, width, height


def _bar_lines(
    high: NDArray[np.uint8], low: NDArray[np.uint8]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which of N lines are uniform bar lines, and which are near-black or near-white at all.

    From each pixel's brightest channel (``high``, N x L) and darkest channel (``low``): all but 1%
    of the pixels near-black (or near-white), and for a uniform line within BAR_SPREAD of each
    other.
    """
    allowed = int(high.shape[1] * BAR_OUTLIERS)
    dark = np.count_nonzero(high > BAR_DARK, axis=1) <= allowed
    light = np.count_nonzero(low < BAR_LIGHT, axis=1) <= allowed
    uniform = (dark & (_spread(high, allowed) <= BAR_SPREAD)) | (
        light & (_spread(low, allowed) <= BAR_SPREAD)
    )
    return uniform, dark | light


def _spread(values: NDArray[np.uint8], outliers: int) -> NDArray[np.int16]:
    """Per line, the largest minus the smallest value, ignoring ``outliers`` at each end."""
    length = values.shape[1]
    if outliers == 0:
        return values.max(axis=1).astype(np.int16) - values.min(axis=1)
    ordered = np.partition(values, (outliers, length - 1 - outliers), axis=1)
    spread: NDArray[np.int16] = ordered[:, length - 1 - outliers].astype(np.int16) - ordered[
        :, outliers
    ].astype(np.int16)
    return spread


def _strip(uniform: NDArray[np.bool_], plain: NDArray[np.bool_], side: int) -> tuple[int, int]:
    """The [start, end) of the content along a side of ``side`` lines, given which are uniform
    bar lines and which are plain (near-black or near-white)."""
    if uniform.all():
        return 0, side  # a uniform image: nothing to strip to
    start = _bar_end(uniform, plain)
    end = side - _bar_end(uniform[::-1], plain[::-1])
    if end - start < max(PDQ_MIN_SIDE, side * CONTENT_MIN_FRACTION):
        return 0, side  # mostly uniform: more likely a dark or light picture than a letterbox
    return start, end


def _bar_end(uniform: NDArray[np.bool_], plain: NDArray[np.bool_]) -> int:
    """How many lines from the start of the side are a bar (0 if there is none)."""
    bar = _leading(uniform)
    if bar < BAR_MIN_LINES:
        return 0
    return bar + _leading(plain[bar : bar + BAR_RINGING])


def _leading(flags: NDArray[np.bool_]) -> int:
    """How many of ``flags`` are true before the first false one."""
    return len(flags) if flags.all() else int(np.argmin(flags))
