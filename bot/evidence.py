"""Keep a pungli evidence file safely: allowed types only, size cap, photo metadata removed,
a random name in a folder the web server never serves."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "application/pdf",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/amr",
        "audio/aac",
    }
)
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/amr": ".amr",
    "audio/aac": ".aac",
}
MAX_PIXELS = 40_000_000


class Refused(Exception):
    """The file is not kept (type not allowed, too large, or not what it claims to be)."""


@dataclass(frozen=True)
class Kept:
    """A stored file."""

    name: str
    size: int
    sha256: str
    content_type: str


def keep(
    data: bytes,
    content_type: str,
    folder: str | Path,
    *,
    content_types: frozenset[str] | None = None,
    max_bytes: int = 16_000_000,
) -> Kept:
    """Store one file under a random name; photos are re-encoded without metadata."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in (content_types or DEFAULT_TYPES) or kind not in EXTENSIONS:
        raise Refused(f"jenis berkas tidak diizinkan: {kind or '?'}")
    if len(data) > max_bytes:
        raise Refused(f"berkas terlalu besar: {len(data)} byte")
    if kind in IMAGE_FORMATS:
        data = strip_metadata(data, IMAGE_FORMATS[kind])
    elif kind == "application/pdf" and not data.startswith(b"%PDF-"):
        raise Refused("bukan berkas PDF")
    name = secrets.token_hex(16) + EXTENSIONS[kind]
    path = Path(folder) / name
    # O_EXCL: a random name never overwrites; 0600: only the service account reads it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Kept(name, len(data), hashlib.sha256(data).hexdigest(), kind)


def strip_metadata(data: bytes, image_format: str) -> bytes:
    """Return the photo re-encoded from its pixels only: no EXIF (GPS, camera), no text chunks.

    The EXIF orientation is applied first so the picture still looks the right way up.
    """
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != image_format:
                raise Refused(f"isi berkas bukan {image_format}")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise Refused(f"gambar tidak bisa dibaca: {exc.__class__.__name__}") from exc
    mode = upright.mode
    if mode not in ("RGB", "RGBA", "L", "LA"):
        mode = "RGBA" if "transparency" in upright.info or mode in ("PA", "P") else "RGB"
    if image_format == "JPEG" and mode in ("RGBA", "LA"):
        mode = "RGB"
    upright = upright.convert(mode)
    clean = Image.frombytes(mode, upright.size, upright.tobytes())  # pixels only, no info
    out = io.BytesIO()
    options = {"quality": 90} if image_format in ("JPEG", "WEBP") else {}
    clean.save(out, format=image_format, **options)
    return out.getvalue()
