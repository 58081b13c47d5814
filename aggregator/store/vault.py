"""Encryption of credentials at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from ``AGGREGATOR_SECRET_KEY``; in the embedded mode, when none is set, a key is
generated once into ``<data_dir>/secret.key`` with owner-only permissions.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from aggregator.config import Settings


class VaultError(RuntimeError):
    """Raised when a secret cannot be decrypted (wrong or rotated key)."""


class Vault:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "Vault(key=***)"

    @classmethod
    def from_settings(cls, settings: Settings) -> "Vault":
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        path = Path(settings.data_dir) / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def encrypt(self, plain: str | None) -> str | None:
        if plain is None:
            return None
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise VaultError("credential cannot be decrypted: wrong AGGREGATOR_SECRET_KEY?") from exc
