"""Tenants: owners (brands) → shops → credentials (secrets encrypted at rest)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import UTCDateTime


class OwnerRow(Base):
    __tablename__ = "owners"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    base_currency: Mapped[str] = mapped_column(String(3), default="CNY")
    created_at: Mapped[datetime] = created_at_column()


class OwnerAliasRow(Base):
    """A value that names an owner in other people's files (``aggregator.owners``).

    ``kind``: ``owner_code`` (a 3PL's code for the brand; ``scope`` = warehouse code, or "" for every
    warehouse), ``legal_name`` (consignee / notify party / importer of record; ``scope`` "") or
    ``registration_no`` (importer registration number; ``scope`` = country, or "" for every country).
    ``normalized`` is the value as compared (exact after normalisation, never fuzzy); a normalised
    value names at most one owner wherever it applies (the service refuses overlapping scopes).
    """

    __tablename__ = "owner_aliases"
    __table_args__ = (UniqueConstraint("kind", "scope", "normalized"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.owner_id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    scope: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(String(255))
    normalized: Mapped[str] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = created_at_column()


class ShopRow(Base):
    """A marketplace shop. ``status`` is ``active``, ``needs_reauth`` (visible, not silent) or ``disabled``."""

    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.owner_id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(255), default="")
    base_url: Mapped[str | None] = mapped_column(String(512), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ShopCredential(Base):
    """App keys and tokens of one shop. ``*_enc`` columns hold Fernet ciphertext, never plain secrets.

    ``version`` increments on every token write: refresh is single-flight (row lock) and a writer
    that lost the race sees the version change and re-reads instead of using a spent refresh token.
    """

    __tablename__ = "shop_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_pk: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), unique=True)
    app_key: Mapped[str | None] = mapped_column(String(128), nullable=True)  # partner_id / app_key: not secret
    app_secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_token_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    shop_cipher: Mapped[str | None] = mapped_column(String(255), nullable=True)  # TikTok
    seller_account: Mapped[str | None] = mapped_column(String(255), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # the refresh lease: who is refreshing this shop's tokens now, and until when (no row lock is held
    # while the platform answers; another worker waits for the lease instead of spending the token too)
    refresh_lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    refresh_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = updated_at_column()
