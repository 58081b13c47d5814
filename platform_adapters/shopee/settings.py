"""Shopee app settings: partner id and key, environment and host (or an explicit base URL)."""
from __future__ import annotations

from dataclasses import dataclass

from platform_adapters.http.redaction import mask

PRODUCTION_HOSTS = {
    "global": "https://partner.shopeemobile.com",
    "cn": "https://openplatform.shopee.cn",
    "br": "https://openplatform.shopee.com.br",
}
SANDBOX_HOSTS = {
    "global": "https://openplatform.sandbox.test-stable.shopee.sg",
    "cn": "https://openplatform.sandbox.test-stable.shopee.cn",
}


#: Shop region → the currency Shopee books it in (escrow details of local shops carry no currency).
REGION_CURRENCY = {"SG": "SGD", "MY": "MYR", "TH": "THB", "PH": "PHP", "ID": "IDR", "VN": "VND", "TW": "TWD",
                   "BR": "BRL", "MX": "MXN", "CO": "COP", "CL": "CLP"}


@dataclass(frozen=True)
class ShopeeSettings:
    """``partner_id``/``partner_key`` of the app; a test partner id only works on a sandbox host."""

    partner_id: int
    partner_key: str
    sandbox: bool = False
    host_region: str = "global"  # global (SG), cn (mainland China), br (US/Brazil)
    base_url: str | None = None
    page_size: int = 100
    detail_batch_size: int = 50
    calls_per_second: float = 10.0
    fetch_tracking: bool = True  # tracking numbers of shipped orders (get_package_detail, ≤ 50 packages a call)

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 100:
            raise ValueError("Shopee page_size must be 1..100")
        if not 1 <= self.detail_batch_size <= 50:
            raise ValueError("Shopee detail batches hold 1..50 order_sn")
        hosts = SANDBOX_HOSTS if self.sandbox else PRODUCTION_HOSTS
        if self.base_url is None and self.host_region not in hosts:
            raise ValueError(f"no Shopee {'sandbox' if self.sandbox else 'production'} host for {self.host_region!r}")

    @property
    def host(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        return (SANDBOX_HOSTS if self.sandbox else PRODUCTION_HOSTS)[self.host_region]

    def __repr__(self) -> str:
        return (f"ShopeeSettings(partner_id={self.partner_id}, partner_key={mask(self.partner_key)}, "
                f"sandbox={self.sandbox}, host={self.host!r})")
