"""Token cipher: AES-256-GCM with a rotating key ring, each ciphertext bound to its account.

Keys come from CONNECTORS_ENCRYPTION_KEYS (comma-separated urlsafe-base64 32-byte keys, newest
first). New ciphertexts use the newest key; each ciphertext names the id of its key, so older keys
keep decrypting until `Store.reencrypt_all()` has moved everything to the newest one. The account
is the AES-GCM associated data, so a ciphertext copied into another account's row fails to
decrypt. No error message ever contains key material or plaintext.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from connectors_pipeline.domain.errors import ConfigurationError, ConnectorError

if TYPE_CHECKING:
    from connectors_pipeline.settings import Settings

FORMAT_VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12  # the size AES-GCM is specified for; random per encryption
NO_KEY_MESSAGE = (
    "no encryption key: set CONNECTORS_ENCRYPTION_KEYS to one or more urlsafe-base64 32-byte keys "
    '(newest first; generate one with `python -c "from connectors_pipeline.store import KeyRing; '
    'print(KeyRing.generate_key())"`), or use the demo key file for local experiments'
)


class CredentialDecryptError(ConnectorError):
    """A stored credential could not be decrypted (wrong key, other account's ciphertext, corruption)."""


def key_id_of(key: bytes) -> str:
    """A public, stable name for a key: first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def _decode_key(raw: str, position: int) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        # Say which entry is wrong, never what it contains.
        raise ConfigurationError(
            f"CONNECTORS_ENCRYPTION_KEYS entry #{position} is not a urlsafe-base64 encoded 32-byte key"
        )
    return key


class KeyRing:
    """Ordered encryption keys, newest first."""

    def __init__(self, keys: list[bytes], *, demo: bool = False):
        # demo: the key came from the demo's local key file. It may decrypt and re-encrypt what the demo
        # stored, but connecting a new account needs CONNECTORS_ENCRYPTION_KEYS (see connect.py).
        self.demo = demo
        if not keys:
            raise ConfigurationError(NO_KEY_MESSAGE)
        self._keys: dict[str, bytes] = {}
        for key in keys:
            if len(key) != KEY_BYTES:
                raise ConfigurationError("encryption keys must be 32 bytes long")
            self._keys.setdefault(key_id_of(key), key)
        self._newest = key_id_of(keys[0])

    @classmethod
    def from_env(cls, value: str | None, *, demo: bool = False) -> KeyRing | None:
        """Parse a CONNECTORS_ENCRYPTION_KEYS value; None when it is unset or blank."""
        if value is None:
            return None
        entries = [part.strip() for part in value.split(",") if part.strip()]
        if not entries:
            return None
        return cls([_decode_key(entry, position) for position, entry in enumerate(entries, start=1)], demo=demo)

    @staticmethod
    def generate_key() -> str:
        """A fresh random key in the format CONNECTORS_ENCRYPTION_KEYS expects."""
        return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")

    @property
    def newest_key_id(self) -> str:
        return self._newest

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def encrypt(self, plaintext: str, aad: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._keys[self._newest]).encrypt(nonce, plaintext.encode("utf-8"), aad.encode())
        payload = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{FORMAT_VERSION}:{self._newest}:{payload}"

    def key_id_of_token(self, token: str) -> str:
        return self._split(token)[1]

    def decrypt(self, token: str, aad: str) -> str:
        _, key_id, payload = self._split(token)
        key = self._keys.get(key_id)
        if key is None:
            raise CredentialDecryptError(
                f"credential was encrypted with key {key_id}, which is not in CONNECTORS_ENCRYPTION_KEYS "
                f"(known: {', '.join(self._keys)})"
            )
        try:
            blob = base64.urlsafe_b64decode(payload)
            plaintext = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad.encode())
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise CredentialDecryptError(
                "credential failed authentication: it was altered or belongs to another account"
            ) from exc
        return plaintext.decode("utf-8")

    @staticmethod
    def _split(token: str) -> tuple[str, str, str]:
        parts = token.split(":", 2)
        if len(parts) != 3 or parts[0] != FORMAT_VERSION:
            raise CredentialDecryptError("stored credential has an unknown format")
        return parts[0], parts[1], parts[2]

    def __repr__(self) -> str:
        return f"KeyRing(key_ids={list(self._keys)!r}, newest={self._newest!r})"


def load_or_create_demo_keyring(path: Path) -> KeyRing:
    """The local demo key: read it, or create it readable by the owner only (0600, dir 0700)."""
    if not path.exists():
        _create_key_file(path)
    ring = KeyRing.from_env(path.read_text(encoding="ascii"), demo=True)
    if ring is None:
        raise ConfigurationError(f"demo key file {path} is empty; delete it to create a new key")
    return ring


def _create_key_file(path: Path) -> None:
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        # mkdir's mode is filtered by the umask; make sure the key directory is owner-only.
        os.chmod(path.parent, 0o700)
    # Write a private temporary file, then link it into place: the link fails if another process
    # won the race, and nobody ever reads a half-written key.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(KeyRing.generate_key() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def resolve_keyring(settings: Settings, allow_demo_key: bool) -> KeyRing | None:
    """Environment keys if set; else the demo key file if it exists (or is allowed to be created)."""
    ring = KeyRing.from_env(settings.encryption_keys)
    if ring is not None:
        return ring
    if settings.demo_key_file.exists() or allow_demo_key:
        return load_or_create_demo_keyring(settings.demo_key_file)
    return None
