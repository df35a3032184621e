"""Benchmark of PDQ hashing of uploaded images (safeharbor.hashmatch.hashing), one core.

    python -m bench.pdq_hashing           # smoke size (CI): 40 images, 3 repetitions
    python -m bench.pdq_hashing --full    # 300 images, 7 repetitions

Goal (issue 7): hashing 1-megapixel JPEGs, decode included, at >= 100 images/s on one core. The
baseline, measured in the same run on the same files, is what threatexchange's ``pdq_from_bytes``
does: decode at full size (``Image.open``, ``convert("RGB")``, ``np.asarray``) and
``pdqhash.compute``, plus the hex conversion.

The images are generated photo-likes of about one megapixel (1152x864, 864x1152, 1280x800,
1000x1000: colour gradients, noise, ellipses and rectangles, slightly blurred), JPEG quality 85.

Figures (medians over the repetitions, each a pass over all images, ours and the baseline passes
alternating so that both see the same machine load):
- ``pdq_of_image``: header check, JPEG draft decode, EXIF orientation, RGB, letterbox check,
  downscale to 384 a side, ``pdqhash.compute_dihedral`` (the 8 dihedral hashes), hex;
- ``hash_media``: the same plus MD5, SHA-256 and the container sniffing;
- decoding alone, draft and full size, to show where the time goes.

It also checks that every image gets a usable hash and that ours stays within a few bits of the
baseline's full-size hash (a correctness failure exits nonzero; a missed timing goal does not).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
import pdqhash
from PIL import Image, ImageDraw, ImageFilter

GOAL_IMAGES_PER_SECOND = 100
MAX_DISTANCE = 16  # bits from the full-size hash beyond which the downscale counts as broken
SIZES = [(1152, 864), (864, 1152), (1280, 800), (1000, 1000)]


def photo(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A photo-like RGB image: colour gradients, noise, ellipses and rectangles, a little blur."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = [(x / width * 255 * rng.random() + y / height * 255 * rng.random()) % 256
                for _ in range(3)]  # fmt: skip
    pixels = np.stack(channels, axis=-1) + rng.normal(0, 12, (height, width, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(10, 40))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(20, width // 3)), y0 + int(rng.integers(20, height // 3))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=colour)
    return image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.0))))


def build_images(count: int, rng: np.random.Generator) -> list[bytes]:
    files = []
    for index in range(count):
        buffer = io.BytesIO()
        photo(rng, *SIZES[index % len(SIZES)]).save(buffer, "JPEG", quality=85)
        files.append(buffer.getvalue())
    return files


def baseline(data: bytes) -> str:
    """Decode at full size + pdqhash, as threatexchange's pdq_from_bytes (hex included)."""
    from safeharbor.hashmatch.hashing import pdq_hex

    with Image.open(io.BytesIO(data)) as image:
        bits, _quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    return pdq_hex(bits)


def full_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.convert("RGB")


def draft_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (min(image.width, 384), min(image.height, 384)))
        image.load()


def one_pass(call: Callable[[bytes], object], files: Sequence[bytes]) -> float:
    started = time.perf_counter()
    for data in files:
        call(data)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--full", action="store_true", help="300 images, 7 repetitions")
    args = parser.parse_args()
    count, repeat = (300, 7) if args.full else (40, 3)

    os.environ.setdefault("SAFEHARBOR_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeharbor.settings")
    import django

    django.setup()
    from safeharbor.hashmatch.hashing import hamming, hash_media, pdq_of_image

    started = time.perf_counter()
    files = build_images(count, np.random.default_rng(20261122))
    generate_seconds = time.perf_counter() - started
    megapixels = statistics.mean(w * h for w, h in SIZES) / 1e6
    mean_kb = statistics.mean(map(len, files)) / 1024

    # Correctness first (and a warm-up): every image hashed, close to the full-size hash.
    ours = [pdq_of_image(data) for data in files]
    theirs = [baseline(data) for data in files]
    distances = [hamming(a.hash, b) for a, b in zip(ours, theirs, strict=True)]
    low_quality = sum(result.quality < 50 for result in ours)
    media = hash_media(files[0])
    consistent = media.pdq == ours[0]

    timings: dict[str, list[float]] = {name: [] for name in ("ours", "media", "baseline")}
    decodes: dict[str, list[float]] = {"draft": [], "full": []}
    for _ in range(repeat):
        timings["ours"].append(one_pass(pdq_of_image, files))
        timings["baseline"].append(one_pass(baseline, files))
        timings["media"].append(one_pass(hash_media, files))
    for _ in range(max(1, repeat // 2)):
        decodes["draft"].append(one_pass(draft_decode, files))
        decodes["full"].append(one_pass(full_decode, files))

    def rate(seconds: list[float]) -> float:
        return len(files) / statistics.median(seconds)

    print("PDQ hashing of ~1-megapixel JPEGs, decode included, one core (one process)")
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")  # fmt: skip
    print(f"images: {len(files)} generated JPEGs (quality 85), {megapixels:.2f} MP and "
          f"{mean_kb:.0f} KB on average, in {generate_seconds:.1f} s; medians of {repeat} "
          "passes")  # fmt: skip
    print()
    print(f"{'':<52}{'images/s':>10}{'ms/image':>10}")
    rows = [
        ("pdq_of_image (draft decode, 384 a side, dihedral)", rate(timings["ours"])),
        ("hash_media (the same + MD5 + SHA-256)", rate(timings["media"])),
        ("baseline: decode full size + pdqhash.compute", rate(timings["baseline"])),
        ("  decode only, draft (as ours)", rate(decodes["draft"])),
        ("  decode only, full size (as the baseline)", rate(decodes["full"])),
    ]
    for name, value in rows:
        print(f"{name:<52}{value:>10,.1f}{1e3 / value:>10.2f}")
    print()
    ours_rate, media_rate, base_rate = rows[0][1], rows[1][1], rows[2][1]
    print(f"pdq_of_image vs baseline on the same files: {ours_rate / base_rate:.2f}x; "
          f"hash_media: {media_rate / base_rate:.2f}x")  # fmt: skip
    print(f"distance to the full-size hash: max {max(distances)}, "
          f"mean {statistics.mean(distances):.1f}, median {statistics.median(distances):g} bits "
          f"(of 256; match threshold 31)")  # fmt: skip
    goal = f"goal >= {GOAL_IMAGES_PER_SECOND} images/s"
    print(f"pdq_of_image: {ours_rate:,.0f} images/s ({goal}): "
          f"{'met' if ours_rate >= GOAL_IMAGES_PER_SECOND else 'NOT met'}")  # fmt: skip
    print(f"hash_media:   {media_rate:,.0f} images/s ({goal}): "
          f"{'met' if media_rate >= GOAL_IMAGES_PER_SECOND else 'NOT met'}")  # fmt: skip

    failures = []
    if max(distances) > MAX_DISTANCE:
        failures.append(
            f"a hash is {max(distances)} bits from the full-size hash (> {MAX_DISTANCE})"
        )
    if low_quality:
        failures.append(f"{low_quality} images got quality below 50")
    if not consistent:
        failures.append("hash_media and pdq_of_image disagree")
    for failure in failures:
        print(f"CORRECTNESS FAILURE: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
