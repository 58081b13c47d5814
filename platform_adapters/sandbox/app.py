"""The sandbox ASGI app: all three marketplaces on one port, plus ``/_sandbox`` control endpoints.

Marketplace routes live in ``shopee.py`` (``/api/v2/...``), ``lazada.py`` (``/rest/...``) and
``tiktok.py`` (``/order/...``, ``/finance/...``, ``/authorization/...``, ``/api/v2/token/...``).
The ``/_sandbox`` endpoints are the test harness, never faulted:

* ``GET /_sandbox/shops``: apps, owners (with the aliases their logistics files use), shops, a fresh
  authorization code and the initial token pair each;
* ``POST /_sandbox/shops/{platform}/{shop_id}/token``: issue a fresh token pair;
* ``POST /_sandbox/owners/{owner_id}/{platform}/account_code``: an authorization code whose token covers
  every Shopee or TikTok shop of the owner (Shopee: with the owner's ``main_account_id``);
* ``GET /_sandbox/truth/orders``, ``/_sandbox/truth/settlements``, ``/_sandbox/truth/returns`` and
  ``/_sandbox/truth/payouts`` (Shopee release days: released, paid, open): the ground truth now;
* ``GET /_sandbox/truth/logistics``: the logistics chain's truth now (``truth.logistics_truth``: every
  order line -> lot -> receipt -> container -> bill of lading -> customs entry with its units, and every
  lot's units by title holder, title state and location);
* ``GET /_sandbox/clock``, ``POST /_sandbox/clock/advance?seconds=N``: the simulated clock;
* ``POST /_sandbox/webhooks`` (``{"url", "duplicate_rate", "out_of_order", "platforms", "lose_rate"}``,
  loopback URLs only) and ``GET /_sandbox/webhooks/deliveries``; ``POST /_sandbox/push/partner``
  (``{"code": 1|2|12, "shop_ids": [...]}``) sends a Shopee partner-level push now; a Shopee push lost
  (``lose_rate``) or not answered 200 is served back by ``/api/v2/push/get_lost_push_message``;
* ``GET``/``POST /_sandbox/faults``: injected-fault counts / replace the plan (``{"spec": "429=0.1"}``);
* ``GET /_sandbox/logistics/{name}.csv[?owner_id=…][&warehouse=…]``: the logistics files of the same world
  (all rows, or one owner's or one warehouse's).
"""
from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from platform_adapters.sandbox.faults import FaultInjector, FaultSpecError, parse_faults
from platform_adapters.sandbox.lazada import LazadaApi
from platform_adapters.sandbox.logistics import LOGISTICS_FILES, owner_identities, render_logistics
from platform_adapters.sandbox.shopee import ShopeeApi
from platform_adapters.sandbox.snapshot import settlement_of
from platform_adapters.sandbox.state import SandboxState, json_reply
from platform_adapters.sandbox.tiktok import TikTokApi
from platform_adapters.sandbox.truth import logistics_truth
from platform_adapters.sandbox.webhooks import PLATFORMS, WebhookPusher, configure_webhooks


def _pair(pair) -> dict:
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token,
            "access_expires_at": pair.access_expires_at, "refresh_expires_at": pair.refresh_expires_at}


def truth_orders(state: SandboxState, platform: str | None = None, shop_id: str | None = None) -> list[dict]:
    """Every order that exists at the simulated now, as the platforms currently show it."""
    snap = state.snapshot()
    out = []
    for shop in state.world.shops:
        if (platform and shop.platform != platform) or (shop_id and shop.shop_id != shop_id):
            continue
        for s in snap.view(shop).all_states():
            order = s.order
            out.append({
                "platform": shop.platform, "shop_id": shop.shop_id, "owner_id": shop.owner_id,
                "order_id": order.order_id, "raw_status": s.raw_status, "stage": s.stage,
                "created_at": order.created_at, "update_time": s.update_time, "currency": shop.currency,
                "total_amount": str(order.total), "shipping_fee": str(order.shipping_fee),
                "lines": [{"line_ref": line.line_ref, "seller_sku": line.sku.seller_sku, "quantity": line.quantity,
                           "unit_price": str(line.unit_price)} for line in order.lines],
                "packages": [{"package_id": p.package_id,
                              "tracking_number": p.tracking_number if s.shipped else None} for p in order.packages],
            })
    return out


def truth_settlements(state: SandboxState, platform: str | None = None) -> list[dict]:
    """Money released per settled order as every platform's finance lines add up at the simulated now:
    the net (refunds and adjustments included; a TikTok reserve counts while withheld and comes back
    when its release statement is out, both by ``tiktok.statement_out``: a statement issued at exactly now is
    not out yet, as a sync's half-open window [since, now) does not read it), its parts, and the reconciliation status a correct client
    reaches (``refunded`` when a unit was refunded, ``partially_settled`` while a reserve is held,
    else ``settled``)."""
    from platform_adapters.sandbox.tiktok import DAY, RESERVE_DAYS, statement_out, statement_time_of

    snap = state.snapshot()
    out = []
    for shop in state.world.shops:
        if platform and shop.platform != platform:
            continue
        for order in snap.view(shop).settled:
            s = settlement_of(order)
            net, held = s.net, Decimal(0)
            if s.reserve:  # collected in the order's statement, released in the one RESERVE_DAYS later
                collected = statement_time_of(order.settled_at)
                if statement_out(collected, state.now):
                    held = s.reserve
                if statement_out(collected + RESERVE_DAYS * DAY, state.now):
                    held = Decimal(0)
            status = "refunded" if s.refund else "partially_settled" if held else "settled"
            out.append({"platform": shop.platform, "shop_id": shop.shop_id, "order_id": order.order_id,
                        "owner_id": shop.owner_id, "currency": shop.currency, "settled_at": order.settled_at,
                        "net_amount": str(net - held), "revenue": str(s.revenue),
                        "fees": str(s.commission + s.service_fee + s.transaction_fee), "refund": str(s.refund),
                        "adjustments": str(sum((a for a, _ in s.adjustments), Decimal(0))),
                        "bundle_discount": str(s.bundle_discount), "reserve_held": str(held),
                        "buyer_total": str(order.total), "expected_status": status})
    return out


def truth_payouts(state: SandboxState) -> list[dict]:
    """Every Shopee release day (``escrow-YYYY-MM-DD``: the UTC day of its releases) at the simulated now:
    what it released, what payouts paid of it and what is still open, and when its last part was paid.
    Cross-border shops: the Monday batch after the day pays it whole; local shops: their wallet's
    completed withdrawals pay the days oldest first (``sandbox.wallet``; a cancelled or pending one
    pays nothing; what one pending at now took is ``held``), and the wallet's own money in and out (``wallet-<create_time>-<type>``: ads charges
    and refunds, adjustments) is counted like a day: money in paid by withdrawals, charges netted
    against the oldest money (``netted_with``)."""
    from platform_adapters.sandbox.shopee import _next_monday
    from platform_adapters.sandbox.wallet import DAY, batch_paid_days, wallet_of

    snap = state.snapshot()
    out = []
    for shop in state.world.shops:
        if shop.platform != "shopee":
            continue
        settled = snap.view(shop).settled
        units = (sorted(batch_paid_days(settled, state.now, _next_monday).values(), key=lambda d: d.day)
                 if shop.cross_border else wallet_of(shop, settled, state.now, state.pending_at).units)
        for day in units:
            out.append({"platform": "shopee", "shop_id": shop.shop_id, "owner_id": shop.owner_id,
                        "cross_border": shop.cross_border, "currency": shop.currency,
                        "statement_id": day.statement, "kind": day.kind or "escrow",
                        "released": str(day.released), "paid": str(day.paid), "open": str(day.open),
                        "paid_at": day.paid_at, "paid_by": [str(p) for p in day.paid_by],
                        "held": str(day.held), "held_by": [str(p) for p in day.held_by],
                        "netted_with": list(day.netted_with)})
    return out


#: steps a platform does not show: the state a correct client reaches instead. Shopee has no in-transit
#: return status (its returns stay APPROVED until the warehouse checks the parcel in); Lazada's reverse
#: order stays REQUEST_INITIATE / CANCEL_INIT when approved (``lazada.LAZADA_REVERSE_STATUS``), i.e. REQUESTED.
UNSHOWN_STEPS = {("shopee", "IN_TRANSIT"): "APPROVED", ("lazada", "APPROVED"): "REQUESTED"}


def truth_returns(state: SandboxState, platform: str | None = None) -> list[dict]:
    """Every after-sales case visible at the simulated now: the unified state a correct client reaches
    (the step reached, or what the platform shows for it: ``UNSHOWN_STEPS``), the units it takes back per
    order line, and what became of the goods once they were received (Shopee and Lazada say so; TikTok's
    return APIs do not)."""
    out = []
    for shop in state.world.shops:
        if platform and shop.platform != platform:
            continue
        for case, step, updated in state.returns.visible(shop.platform, shop.shop_id, state.now):
            out.append({"platform": shop.platform, "shop_id": shop.shop_id, "owner_id": shop.owner_id,
                        "return_id": case.return_id, "order_id": case.order.order_id, "kind": case.kind,
                        "status": UNSHOWN_STEPS.get((shop.platform, step), step),
                        "updated_at": updated, "refund": str(case.refund), "currency": shop.currency,
                        "disposition": case.disposition if step in ("RECEIVED", "REFUNDED")
                        and shop.platform != "tiktok" else None,
                        "lines": [{"order_line_ref": line.line_ref, "seller_sku": line.sku.seller_sku,
                                   "units": units} for line, units in case.lines]})
    return out


def build_app(state: SandboxState) -> Starlette:
    pusher = WebhookPusher(state)

    async def shops(request: Request) -> Response:
        apps = {name: {"app_key": a.app_key, "app_secret": a.app_secret} for name, a in state.world.apps.items()}
        rows = [{"platform": s.platform, "shop_id": s.shop_id, "owner_id": s.owner_id, "region": s.region,
                 "currency": s.currency, "name": s.name, "shop_cipher": s.cipher, "warehouse_code": s.warehouse_code,
                 "auth_code": state.tokens.new_code(s.platform, s.shop_id),
                 "initial_tokens": _pair(state.initial_tokens[(s.platform, s.shop_id)])}
                for s in state.world.shops]
        owners = owner_identities(state.world)  # owner_id, name and the aliases its files use
        return json_reply({"seed": state.world.seed, "apps": apps, "owners": owners, "shops": rows})

    async def new_token(request: Request) -> Response:
        platform, shop_id = request.path_params["platform"], request.path_params["shop_id"]
        if state.shop(platform, shop_id) is None:
            return json_reply({"error": f"no shop {platform}/{shop_id}"}, 404)
        return json_reply(_pair(state.tokens.issue(platform, shop_id)))

    async def orders(request: Request) -> Response:
        q = request.query_params
        return json_reply({"now": state.now, "orders": truth_orders(state, q.get("platform"), q.get("shop_id"))})

    async def payouts(request: Request) -> Response:
        return json_reply({"now": state.now, "release_days": truth_payouts(state)})

    async def settlements(request: Request) -> Response:
        return json_reply({"now": state.now, "settlements": truth_settlements(state, request.query_params.get("platform"))})

    async def returns(request: Request) -> Response:
        return json_reply({"now": state.now, "returns": truth_returns(state, request.query_params.get("platform"))})

    async def clock(request: Request) -> Response:
        return json_reply({"now": state.now, "anchor": state.world.anchor})

    async def advance(request: Request) -> Response:
        raw = request.query_params.get("seconds", "")
        if not raw.isdigit():
            return json_reply({"error": "seconds must be a non-negative integer"}, 400)
        before, after = await asyncio.to_thread(state.advance, int(raw))
        return json_reply({"before": before, "now": after})

    async def webhooks(request: Request) -> Response:
        try:
            config = json.loads(await request.body() or b"{}")
            configure_webhooks(state, config.get("url"), config.get("duplicate_rate", 0.0),
                               config.get("out_of_order", False), config.get("platforms") or PLATFORMS,
                               config.get("lose_rate", 0.0))
        except (ValueError, AttributeError, TypeError) as exc:
            return json_reply({"error": str(exc)}, 400)
        settings = state.webhooks
        return json_reply({"url": settings.url, "duplicate_rate": settings.duplicate_rate,
                           "out_of_order": settings.out_of_order, "platforms": list(settings.platforms)})

    async def account_code(request: Request) -> Response:
        """One authorization covering every shop of an owner on a platform: Shopee's main account (the
        redirect's ``main_account_id``), TikTok's authorization of several shops."""
        from platform_adapters.sandbox.shopee import main_account_id

        owner, platform = request.path_params["owner_id"], request.path_params["platform"]
        shops = [s.shop_id for s in state.world.shops if s.owner_id == owner and s.platform == platform]
        if platform not in ("shopee", "tiktok") or not shops:
            return json_reply({"error": f"no {platform} shops of owner {owner!r} (shopee or tiktok)"}, 404)
        body = {"code": state.tokens.new_account_code(platform, shops), "shop_ids": shops}
        if platform == "shopee":
            body["main_account_id"] = main_account_id(owner)
        return json_reply(body)

    async def partner_push(request: Request) -> Response:
        try:
            config = json.loads(await request.body() or b"{}")
            code, shop_ids = int(config["code"]), [str(s) for s in config["shop_ids"]]
            if code not in (1, 2, 12) or not shop_ids or any(state.shop("shopee", s) is None for s in shop_ids):
                raise ValueError("code must be 1, 2 or 12 and shop_ids the sandbox's Shopee shops")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return json_reply({"error": str(exc)}, 400)
        pusher.push_partner(code, shop_ids)
        return json_reply({"pushed": code, "shop_ids": shop_ids})

    async def deliveries(request: Request) -> Response:
        return json_reply({"deliveries": state.webhooks.deliveries})

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                plan = parse_faults(json.loads(await request.body() or b"{}").get("spec", ""))
            except (FaultSpecError, ValueError, AttributeError) as exc:
                return json_reply({"error": str(exc)}, 400)
            state.faults = FaultInjector(plan, state.world.seed)
        return json_reply({"injected": state.faults.injected, "requests": state.request_counts})

    async def logistics(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in LOGISTICS_FILES:
            return json_reply({"error": f"unknown file {name!r}; known: {sorted(LOGISTICS_FILES)}"}, 404)
        owner, warehouse = request.query_params.get("owner_id"), request.query_params.get("warehouse")
        if owner is not None and owner not in dict(state.world.owners):
            return json_reply({"error": f"unknown owner {owner!r}"}, 404)
        warehouses = sorted({s.warehouse_code for s in state.world.shops})
        if warehouse is not None and warehouse not in warehouses:
            return json_reply({"error": f"unknown warehouse {warehouse!r}; known: {warehouses}"}, 404)
        return PlainTextResponse(render_logistics(state.world, state.now, owner, warehouse,
                                                  state.logistics_noise)[name], media_type="text/csv")

    async def logistics_truth_now(request: Request) -> Response:
        return json_reply(await asyncio.to_thread(logistics_truth, state.world, state.now, state.logistics_noise))

    control = [
        Route("/_sandbox/health", lambda r: json_reply({"ok": True}), methods=["GET"]),
        Route("/_sandbox/shops", shops, methods=["GET"]),
        Route("/_sandbox/shops/{platform}/{shop_id}/token", new_token, methods=["POST"]),
        Route("/_sandbox/truth/orders", orders, methods=["GET"]),
        Route("/_sandbox/truth/settlements", settlements, methods=["GET"]),
        Route("/_sandbox/truth/payouts", payouts, methods=["GET"]),
        Route("/_sandbox/truth/logistics", logistics_truth_now, methods=["GET"]),
        Route("/_sandbox/truth/returns", returns, methods=["GET"]),
        Route("/_sandbox/clock", clock, methods=["GET"]),
        Route("/_sandbox/clock/advance", advance, methods=["POST"]),
        Route("/_sandbox/webhooks", webhooks, methods=["POST"]),
        Route("/_sandbox/webhooks/deliveries", deliveries, methods=["GET"]),
        Route("/_sandbox/push/partner", partner_push, methods=["POST"]),
        Route("/_sandbox/owners/{owner_id}/{platform}/account_code", account_code, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
        Route("/_sandbox/logistics/{name}", logistics, methods=["GET"]),
    ]
    routes = control + ShopeeApi(state).routes() + LazadaApi(state).routes() + TikTokApi(state).routes()
    return Starlette(routes=routes)
