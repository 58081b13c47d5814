"""The `sandbox` verb: run the local Shopee, Lazada and TikTok Shop servers on loopback.

``aggregator sandbox --port 8088 --seed 1 --orders 1000 --faults "429=0.05,5xx=0.05,expire=once"``
serves all three platforms on 127.0.0.1 only; ``--write-logistics DIR`` writes the matching
forwarder, customs and warehouse files of the same world (as their senders send them: one forwarder
file, one broker file per country, one inbound, outbound and stock file per 3PL warehouse) and the
chain's ground truth (``ground_truth.json``) instead and exits.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import click

from aggregator.cli.instants import INSTANT
from aggregator.instants import MAX_YEAR, MIN_YEAR, InstantError, checked_instant


def _anchor(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """``--anchor`` as Unix seconds: digits are taken as such, anything else is an instant under the one rule
    (``aggregator.cli.instants``: a time zone, years 1970–9000); either way within that range. An anchor
    whose world would start before 1970 (``sandbox.server.earliest_anchor``) is refused by ``make_state``."""
    if value is None:
        return None
    if value.isdigit():
        try:
            checked_instant(datetime.fromtimestamp(int(value), timezone.utc), "--anchor")
        except InstantError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
        except (OverflowError, OSError, ValueError):
            raise click.BadParameter(f"{value} Unix seconds: out of range (years {MIN_YEAR} to {MAX_YEAR})",
                                     ctx, param) from None
        return int(value)
    return int(INSTANT.convert(value, param, ctx).timestamp())


@click.command(name="sandbox", help="Run the local sandbox marketplaces (Shopee, Lazada, TikTok Shop) on 127.0.0.1.")
@click.option("--port", default=8088, show_default=True, type=click.IntRange(1, 65535))
@click.option("--seed", default=1, show_default=True, type=int, help="World seed (same seed, same world).")
@click.option("--orders", default=1000, show_default=True, type=click.IntRange(0, 2_000_000))
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 365),
              help="Days of order history before the anchor.")
@click.option("--anchor", default=None, callback=_anchor,
              help="Simulated 'now' at start (Unix seconds or ISO-8601), late enough for the whole world (--days of "
                   "orders, the shipments sailing before them) to be in 1970 or after; default: one day before the "
                   "wall clock.")
@click.option("--faults", default=None, help='e.g. "429=0.05,5xx=0.05,slow=0.01,expire=once,truncate=0.01"')
@click.option("--speed", default=0.0, show_default=True, type=click.FloatRange(0, 1e6),
              help="Simulated seconds per wall second (0: the clock moves only via POST /_sandbox/clock/advance).")
@click.option("--webhook-url", default=None, help="Loopback URL to push signed order-status webhooks to.")
@click.option("--webhook-duplicates", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of webhooks sent twice.")
@click.option("--webhook-out-of-order", is_flag=True, help="Swap neighbouring webhook deliveries at random.")
@click.option("--write-logistics", "logistics_dir", default=None, type=click.Path(file_okay=False),
              help="Write the world's logistics CSVs and their ground truth (ground_truth.json) into this "
                   "folder and exit.")
@click.option("--logistics-noise", type=click.Choice(["realistic", "clean"]), default="realistic",
              show_default=True, help="realistic: POs split over two containers, references typed the 3PL's way, "
                                      "short receipts, customs lines missing; clean: none of it.")
@click.option("--at-sea", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of owner x warehouse pairs with a replenishment on the water at the start (the demo: 0.5).")
def command(port: int, seed: int, orders: int, days: int, anchor: int | None, faults: str | None, speed: float,
            webhook_url: str | None, webhook_duplicates: float, webhook_out_of_order: bool,
            logistics_dir: str | None, logistics_noise: str, at_sea: float) -> None:
    from platform_adapters.sandbox.faults import FaultSpecError
    from platform_adapters.sandbox.logistics import write_logistics
    from platform_adapters.sandbox.shipments import CLEAN, REALISTIC
    from platform_adapters.sandbox.truth import TRUTH_FILE, write_truth
    from platform_adapters.sandbox.server import LOOPBACK, AnchorError, make_state, serve_forever
    from platform_adapters.sandbox.webhooks import configure_webhooks

    try:
        state = make_state(seed=seed, orders=orders, faults=faults, anchor=anchor, days=days,
                           logistics_noise=replace(CLEAN if logistics_noise == "clean" else REALISTIC, at_sea=at_sea))
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    except AnchorError as exc:
        raise click.BadParameter(str(exc), param_hint="--anchor") from None
    try:
        configure_webhooks(state, webhook_url, webhook_duplicates, webhook_out_of_order)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--webhook-url") from None
    if logistics_dir:
        for path in write_logistics(state.world, state.now, logistics_dir, state.logistics_noise):
            click.echo(path)
        click.echo(write_truth(state.world, state.now, Path(logistics_dir) / TRUTH_FILE, state.logistics_noise))
        return
    base = f"http://{LOOPBACK}:{port}"
    click.echo(f"sandbox: seed {seed}, {len(state.world.orders)} orders in {len(state.world.shops)} shops, "
               f"faults: {faults or 'none'}")
    click.echo(f"  Shopee and TikTok base URL: {base}    Lazada base URL: {base}/rest")
    click.echo(f"  shops, app keys and tokens: {base}/_sandbox/shops    ground truth: {base}/_sandbox/truth/orders")
    serve_forever(state, port, speed)
