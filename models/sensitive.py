"""Encryption at rest for ID numbers: AES-GCM ciphertext, a keyed blind index, a display mask.

The ciphertext is random per write, so equality search goes through the blind index (an HMAC
of the normalised number). Both sub-keys are derived from one master key so that operations
only have one secret to keep.
"""

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


def normalise_id(value: str) -> str:
    return value.strip().upper()


def mask_id(value: str) -> str:
    """Show the first four and last four characters, e.g. 1101**********1234."""
    value = normalise_id(value)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def generate_master_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class IdCipher:
    """Encrypts, decrypts and blind-indexes ID numbers with keys derived from a master key."""

    def __init__(self, master_key: str) -> None:
        try:
            master = base64.urlsafe_b64decode(master_key.encode())
        except (ValueError, TypeError) as exc:
            raise ValueError("ID_ENCRYPTION_KEY must be url-safe base64 of 32 bytes") from exc
        if len(master) != 32:
            raise ValueError("ID_ENCRYPTION_KEY must decode to 32 bytes")
        self._aead = AESGCM(_derive(master, b"agri-credit id encryption"))
        self._index_key = _derive(master, b"agri-credit id blind index")
        # Uploaded sheets hold ID numbers in plain text, so they are stored sealed too, with
        # a key of their own from the same master key (one secret to keep).
        self._upload_aead = AESGCM(_derive(master, b"agri-credit upload content"))

    def encrypt(self, value: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, normalise_id(value).encode(), None)

    def decrypt(self, token: bytes) -> str:
        token = bytes(token)
        return self._aead.decrypt(token[:NONCE_BYTES], token[NONCE_BYTES:], None).decode()

    def blind_index(self, value: str) -> str:
        digest = hmac.new(self._index_key, normalise_id(value).encode(), hashlib.sha256)
        return digest.hexdigest()

    def seal(self, content: bytes) -> bytes:
        """Encrypt a whole uploaded file for storage."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._upload_aead.encrypt(nonce, content, None)

    def unseal(self, token: bytes) -> bytes:
        token = bytes(token)
        return self._upload_aead.decrypt(token[:NONCE_BYTES], token[NONCE_BYTES:], None)

    def protect(self, value: str) -> dict[str, object]:
        """All stored forms of one ID number, keyed by column suffix."""
        value = normalise_id(value)
        return {
            "cipher": self.encrypt(value),
            "hash": self.blind_index(value),
            "masked": mask_id(value),
            "tail": value[-4:],
        }
