"""Media kept for a case after a match, encrypted at rest with AES-256-GCM.

Nothing submitted for hashing or matching is stored unless it matched an enabled bank; then the
original bytes are kept once per case (the content the platform must quarantine, and what a
child-safety specialist may need for a CyberTipline report). Each blob is
``b"SHM1" + 12-byte nonce + ciphertext``; the case and the file's SHA-256 are bound in as
associated data, so a blob copied to another case or row does not decrypt.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from safeharbor.hashmatch.models import KeptMedia

MAGIC = b"SHM1"
NONCE_BYTES = 12


class EvidenceUnreadable(Exception):
    """The kept media cannot be decrypted (wrong key, or the row was tampered with)."""


def _key() -> bytes:
    configured: bytes | None = getattr(settings, "SAFEHARBOR_MEDIA_KEY", None)
    if configured:
        return configured
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"safeharbor kept media v1").derive(
        settings.SECRET_KEY.encode()
    )


def _associated_data(case_id: int, sha256: str) -> bytes:
    return f"case:{case_id}:sha256:{sha256}".encode()


def seal(data: bytes, *, case_id: int, sha256: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(_key()).encrypt(nonce, data, _associated_data(case_id, sha256))


def keep_media(case_id: int, data: bytes, content_type: str) -> KeptMedia:
    """Keep matched media for a case (once per case and file). Runs in the caller's transaction."""
    digest = hashlib.sha256(data).hexdigest()
    kept, _created = KeptMedia.objects.get_or_create(
        case_id=case_id,
        sha256=digest,
        defaults={
            "content_type": content_type,
            "size": len(data),
            "ciphertext": seal(data, case_id=case_id, sha256=digest),
        },
    )
    return kept


def decrypt_media(kept: KeptMedia) -> bytes:
    blob = bytes(kept.ciphertext)
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_BYTES + 16:
        raise EvidenceUnreadable("The kept media is not in a known format.")
    nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
    try:
        data = AESGCM(_key()).decrypt(
            nonce, blob[len(MAGIC) + NONCE_BYTES :], _associated_data(kept.case_id, kept.sha256)
        )
    except InvalidTag:
        raise EvidenceUnreadable(
            "The kept media cannot be decrypted: the media key differs from the one it was kept "
            "with, or the stored row was changed."
        ) from None
    if hashlib.sha256(data).hexdigest() != kept.sha256:
        raise EvidenceUnreadable("The kept media does not match its recorded SHA-256.")
    return data
