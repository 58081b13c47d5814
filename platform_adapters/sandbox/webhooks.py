"""Signed order-status webhooks pushed by the sandbox when its simulated clock moves.

Each platform's real payload and signature: Shopee push code 3 (``ordersn``; ``Authorization`` =
HMAC(partner_key, url + "|" + body)), Lazada trade-order message per order item (HMAC(app_secret,
app_key + body)), TikTok type 1 (``CANCEL`` instead of ``CANCELLED``; HMAC(app_secret, app_key +
body)). After-sales cases push too: TikTok types 11 (cancellation status) and 12 (return status),
Lazada reverse-order messages (``message_type`` 10, one per reverse-order line); Shopee has no return
push. Signing reuses the adapters' push signers. On request, some messages are sent twice
(``duplicate_rate``, seeded) and neighbouring messages are swapped (``out_of_order``), as real
at-least-once delivery does. Deliveries are recorded for tests.
"""
from __future__ import annotations

import json
import random
import uuid
from urllib.parse import urlsplit

import httpx

from platform_adapters.lazada.signing import sign_push as lazada_sign
from platform_adapters.sandbox.state import SandboxState
from platform_adapters.sandbox.world import WorldOrder
from platform_adapters.shopee.signing import sign_push as shopee_sign
from platform_adapters.tiktok.signing import sign_webhook as tiktok_sign

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
PLATFORMS = ("shopee", "lazada", "tiktok")
LAZADA_SITE = {"SG": "lazada_sg", "MY": "lazada_my", "TH": "lazada_th", "PH": "lazada_ph", "ID": "lazada_id",
               "VN": "lazada_vn"}


def configure_webhooks(state: SandboxState, url: str | None, duplicate_rate: float = 0.0,
                       out_of_order: bool = False, platforms=PLATFORMS, lose_rate: float = 0.0) -> None:
    """Set where pushes go (``{platform}`` in the URL is replaced by shopee/lazada/tiktok, as each platform
    has its own registered callback URL); refuses anything but a loopback URL and rates outside [0, 1]."""
    if url is not None and urlsplit(url).hostname not in LOOPBACK_HOSTS:
        raise ValueError("webhook URL must be on loopback (127.0.0.1, localhost, ::1)")
    if not 0.0 <= float(duplicate_rate) <= 1.0 or not 0.0 <= float(lose_rate) <= 1.0:
        raise ValueError("duplicate_rate and lose_rate must be within [0, 1]")
    unknown = set(platforms) - set(PLATFORMS)
    if unknown:
        raise ValueError(f"unknown platforms: {sorted(unknown)}")
    settings = state.webhooks
    settings.url, settings.duplicate_rate = url, float(duplicate_rate)
    settings.out_of_order, settings.platforms = bool(out_of_order), tuple(platforms)
    settings.lose_rate = float(lose_rate)


def status_messages(state: SandboxState, order: WorldOrder, raw_status: str, at: int) -> list[dict]:
    """The JSON bodies one status change produces (Lazada: one per order item)."""
    shop = order.shop
    if shop.platform == "shopee":
        out = [{"data": {"items": [], "ordersn": order.order_id, "status": raw_status, "completed_scenario": "",
                         "update_time": at}, "shop_id": int(shop.shop_id), "code": 3, "timestamp": at}]
        if raw_status == "PROCESSED":  # the packages got their tracking numbers (order_trackingno_push)
            out += [{"data": {"ordersn": order.order_id, "forder_id": "", "package_number": package.package_id,
                              "tracking_no": package.tracking_number}, "shop_id": int(shop.shop_id), "code": 4,
                     "timestamp": at} for package in order.packages]
        return out
    if shop.platform == "lazada":
        return [{"seller_id": shop.shop_id, "message_type": 0, "data": {
            "order_status": raw_status, "status_update_time": at, "trade_order_id": order.order_id,
            "trade_order_line_id": line.line_ref}, "timestamp": at * 1000, "site": LAZADA_SITE[shop.region]}
            for line in order.lines]
    return [{"type": 1, "tts_notification_id": uuid.uuid5(uuid.NAMESPACE_OID, f"{order.order_id}:{raw_status}").hex,
             "shop_id": shop.shop_id, "timestamp": at, "data": {
                 "order_id": order.order_id, "order_status": "CANCEL" if raw_status == "CANCELLED" else raw_status,
                 "is_on_hold_order": False, "update_time": at}}]


TIKTOK_CASE_STATUS = {"RETURN": {"REQUESTED": "RETURN_OR_REFUND_REQUEST_PENDING", "APPROVED": "AWAITING_BUYER_SHIP",
                                  "IN_TRANSIT": "BUYER_SHIPPED_ITEM", "RECEIVED": "RETURN_OR_REFUND_REQUEST_SUCCESS",
                                  "REFUNDED": "RETURN_OR_REFUND_REQUEST_COMPLETE"},
                      "CANCELLATION": {"REQUESTED": "CANCELLATION_REQUEST_PENDING",
                                       "APPROVED": "CANCELLATION_REQUEST_SUCCESS",
                                       "REFUNDED": "CANCELLATION_REQUEST_COMPLETE"}}


def case_messages(case, step: str, at: int) -> list[dict]:
    """The JSON bodies one step of an after-sales case produces (none on Shopee)."""
    from platform_adapters.sandbox.lazada import LAZADA_REVERSE_STATUS

    order, shop = case.order, case.order.shop
    if shop.platform == "lazada":
        return [{"seller_id": shop.shop_id, "message_type": 10, "data": {
            "reverse_order_id": case.return_id, "reverse_status": LAZADA_REVERSE_STATUS[case.kind][step],
            "trade_order_id": order.order_id, "trade_order_line_id": line.line_ref, "extraParams": {},
            "reverse_order_line_id": "7" + line.line_ref[1:], "status_update_time": at},
            "timestamp": at, "site": LAZADA_SITE[shop.region]} for line, _ in case.lines]
    if shop.platform == "tiktok":
        status = TIKTOK_CASE_STATUS[case.kind][step]
        notification = uuid.uuid5(uuid.NAMESPACE_OID, f"{case.return_id}:{status}").hex
        if case.kind == "CANCELLATION":
            return [{"type": 11, "tts_notification_id": notification, "shop_id": shop.shop_id, "timestamp": at,
                     "data": {"order_id": order.order_id, "cancellations_role": "BUYER", "cancel_status": status,
                              "cancel_id": case.return_id, "create_time": case.created_at}}]
        return [{"type": 12, "tts_notification_id": notification, "shop_id": shop.shop_id, "timestamp": at,
                 "data": {"order_id": order.order_id, "return_role": "BUYER", "return_type": "RETURN_AND_REFUND",
                          "return_status": status, "return_id": case.return_id, "create_time": case.created_at,
                          "update_time": at}}]
    return []


def partner_message(state: SandboxState, code: int, shop_ids: list[str], at: int) -> dict:
    """A Shopee partner-level push (no top-level shop): 1 shop authorization, 2 authorization
    cancelled (a main account's ``shop_id_list``), 12 authorizations expiring within a week."""
    ids = [int(s) for s in shop_ids]
    if code == 12:
        return {"code": 12, "timestamp": at, "data": {"merchant_expire_soon": [], "shop_expire_soon": ids,
                                                      "user_expire_soon": [], "expire_before": at + 7 * 86400,
                                                      "page_no": 1, "total_page": 1}}
    words = {1: ("shop authorization by user", "authorized successfully"),
             2: ("user cancel shop authorization", "cancelled its authorization")}[code]
    data = {"authorize_type": words[0], "success": 1, "extra": f"shops have been {words[1]}"}
    data.update({"shop_id": ids[0]} if len(ids) == 1 else {"shop_id_list": ids, "main_account_id": 68272})
    return {"data": data, "partner_id": int(state.world.apps["shopee"].app_key), "code": code, "timestamp": at}


def sign_message(state: SandboxState, platform: str, url: str, body: bytes) -> str:
    app = state.world.apps[platform]
    if platform == "shopee":
        return shopee_sign(app.app_secret, url, body).sign
    if platform == "lazada":
        return lazada_sign(app.app_key, app.app_secret, body).sign
    return tiktok_sign(app.app_key, app.app_secret, body).sign


class WebhookPusher:
    """Listens to clock advances and delivers the status changes in between to the configured URL."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._rng = random.Random(state.world.seed * 31 + 5)
        state.on_advance.append(self.on_advance)

    def changes(self, before: int, after: int) -> list[tuple[WorldOrder, str, int]]:
        out = []
        for order in self.state.world.orders:
            if order.shop.platform not in self.state.webhooks.platforms:
                continue
            for raw, at in order.raw_events:
                if before < at <= after:
                    out.append((order, raw, at))
        out.sort(key=lambda change: (change[2], change[0].order_id))
        return out

    def case_changes(self, before: int, after: int) -> list[tuple[WorldOrder, str, int, list[dict]]]:
        out = []
        for (platform, _), cases in self.state.returns.by_shop.items():
            if platform not in self.state.webhooks.platforms:
                continue
            for case in cases:
                for step, at in case.steps:
                    if before < at <= after:
                        out.append((case.order, f"{case.kind}:{step}", at, case_messages(case, step, at)))
        return out

    def on_advance(self, before: int, after: int) -> None:
        settings = self.state.webhooks
        if not settings.url:
            return
        queue: list[tuple[str, str, str, bytes, bool]] = []
        changes = [(order, raw, at, status_messages(self.state, order, raw, at))
                   for order, raw, at in self.changes(before, after)] + self.case_changes(before, after)
        changes.sort(key=lambda change: (change[2], change[0].order_id, change[1]))
        for order, raw, _at, messages in changes:
            for message in messages:
                body = json.dumps(message, separators=(",", ":")).encode()
                queue.append((order.shop.platform, order.order_id, raw, body, False))
                if settings.duplicate_rate and self._rng.random() < settings.duplicate_rate:
                    queue.append((order.shop.platform, order.order_id, raw, body, True))
        if settings.out_of_order:
            for i in range(0, len(queue) - 1, 2):
                if self._rng.random() < 0.5:
                    queue[i], queue[i + 1] = queue[i + 1], queue[i]
        self.deliver(queue)

    def deliver(self, queue: list[tuple[str, str, str, bytes, bool]]) -> None:
        """POST each signed push; one the sandbox "loses" (``lose_rate``) or that is not answered 200 is,
        for Shopee, kept as a lost push (``get_lost_push_message``)."""
        settings = self.state.webhooks
        with httpx.Client(timeout=10.0) as client:
            for platform, order_id, raw, body, duplicate in queue:
                if settings.lose_rate and self._rng.random() < settings.lose_rate:
                    self._lost(platform, body)
                    settings.deliveries.append({"platform": platform, "order_id": order_id, "status": raw,
                                                "duplicate": duplicate, "http_status": "lost"})
                    continue
                url = settings.url.replace("{platform}", platform)  # one callback URL per platform, as registered
                headers = {"Content-Type": "application/json",
                           "Authorization": sign_message(self.state, platform, url, body)}
                try:
                    status = client.post(url, content=body, headers=headers).status_code
                except httpx.HTTPError as exc:
                    status = f"error: {type(exc).__name__}"
                if status != 200:
                    self._lost(platform, body)
                settings.deliveries.append({"platform": platform, "order_id": order_id, "status": raw,
                                            "duplicate": duplicate, "http_status": status})

    def _lost(self, platform: str, body: bytes) -> None:
        if platform != "shopee":
            return
        message = json.loads(body)
        settings = self.state.webhooks
        entry = {"code": message["code"], "timestamp": self.state.tokens.now(), "data": body.decode()}
        if "shop_id" in message:  # a partner-level push has none
            entry["shop_id"] = message["shop_id"]
        settings.lost.append((len(settings.lost) + 176610, entry))

    def push_partner(self, code: int, shop_ids: list[str]) -> None:
        """Send a Shopee partner-level push now (at the simulated clock)."""
        if self.state.webhooks.url:
            body = json.dumps(partner_message(self.state, code, shop_ids, self.state.now),
                              separators=(",", ":")).encode()
            self.deliver([("shopee", "", f"code {code}", body, False)])
