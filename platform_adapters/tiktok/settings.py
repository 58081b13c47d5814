"""TikTok Shop app settings: app key/secret, service id (authorization link) and hosts.

One production API host serves every region (no sandbox since 202309); ``base_url`` overrides it
(and, unless ``auth_base_url`` is set, the token host too) for the local sandbox and tests.
"""
from __future__ import annotations

from dataclasses import dataclass

from platform_adapters.http.redaction import mask

API_HOST = "https://open-api.tiktokglobalshop.com"
AUTH_HOST = "https://auth.tiktok-shops.com"
AUTHORIZE_PAGES = {
    "ROW": "https://services.tiktokshop.com/open/authorize",
    "US": "https://services.tiktokshops.us/open/authorize",  # official guide; one SDK differs (unverified)
}


@dataclass(frozen=True)
class TikTokSettings:
    app_key: str
    app_secret: str
    service_id: str = ""
    region: str = ""
    base_url: str | None = None
    auth_base_url: str | None = None
    page_size: int = 100
    detail_batch_size: int = 50
    orders_version: str = "202309"
    calls_per_second: float = 20.0  # the documented default is 50 QPS per API per app+shop

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 100:
            raise ValueError("TikTok page_size is 1..100")
        if not 1 <= self.detail_batch_size <= 50:
            raise ValueError("TikTok order detail takes 1..50 ids")

    @property
    def api_host(self) -> str:
        return (self.base_url or API_HOST).rstrip("/")

    @property
    def auth_host(self) -> str:
        return (self.auth_base_url or self.base_url or AUTH_HOST).rstrip("/")

    @property
    def authorize_page(self) -> str:
        if self.auth_base_url or self.base_url:
            return self.auth_host + "/open/authorize"
        return AUTHORIZE_PAGES["US" if self.region.upper() == "US" else "ROW"]

    def __repr__(self) -> str:
        return (f"TikTokSettings(app_key={self.app_key!r}, app_secret={mask(self.app_secret)}, "
                f"service_id={self.service_id!r}, api_host={self.api_host!r})")
