"""Lazada app settings: app key/secret, the seller's venture (country) and its hosts.

``base_url`` replaces the venture gateway *including* its ``/rest`` prefix (e.g. a sandbox at
``http://127.0.0.1:8081/lazada/rest``); calls go to ``base_url + api_path``. When only ``base_url``
is set, the token calls go there too.
"""
from __future__ import annotations

from dataclasses import dataclass

from platform_adapters.http.redaction import mask

GATEWAYS = {
    "SG": "https://api.lazada.sg/rest",
    "MY": "https://api.lazada.com.my/rest",
    "TH": "https://api.lazada.co.th/rest",
    "PH": "https://api.lazada.com.ph/rest",
    "ID": "https://api.lazada.co.id/rest",
    "VN": "https://api.lazada.vn/rest",
}
#: Venture → UTC offset (hours) of its local dates (finance dates are local calendar days).
VENTURE_UTC_OFFSET = {"SG": 8, "MY": 8, "PH": 8, "TH": 7, "VN": 7, "ID": 7}
VENTURE_CURRENCY = {"SG": "SGD", "MY": "MYR", "TH": "THB", "PH": "PHP", "ID": "IDR", "VN": "VND"}
AUTH_API = "https://auth.lazada.com/rest"
AUTHORIZE_PAGE = "https://auth.lazada.com/oauth/authorize"


@dataclass(frozen=True)
class LazadaSettings:
    app_key: str
    app_secret: str
    country: str  # the venture of the seller's token: SG MY TH PH ID VN
    base_url: str | None = None
    auth_base_url: str | None = None
    page_size: int = 100
    items_batch_size: int = 50
    calls_per_second: float = 10.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "country", self.country.strip().upper())
        if self.base_url is None and self.country not in GATEWAYS:
            raise ValueError(f"no Lazada venture {self.country!r}; known: {', '.join(GATEWAYS)}")
        if not 1 <= self.page_size <= 100:
            raise ValueError("Lazada /orders/get limit is 1..100")
        if not 1 <= self.items_batch_size <= 50:
            raise ValueError("Lazada /orders/items/get takes 1..50 order ids")

    @property
    def gateway(self) -> str:
        return (self.base_url or GATEWAYS[self.country]).rstrip("/")

    @property
    def auth_api(self) -> str:
        return (self.auth_base_url or self.base_url or AUTH_API).rstrip("/")

    @property
    def authorize_page(self) -> str:
        base = self.auth_base_url or self.base_url
        return base.rstrip("/") + "/oauth/authorize" if base else AUTHORIZE_PAGE

    @property
    def utc_offset_hours(self) -> int:
        return VENTURE_UTC_OFFSET.get(self.country, 8)

    @property
    def default_currency(self) -> str | None:
        return VENTURE_CURRENCY.get(self.country)

    def __repr__(self) -> str:
        return (f"LazadaSettings(app_key={self.app_key!r}, app_secret={mask(self.app_secret)}, "
                f"country={self.country!r}, gateway={self.gateway!r})")
