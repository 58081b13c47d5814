"""Test helper: load the sample story into a database the way users do (``aggregator import`` for the
files, the marketplace writer for the orders fixture, crosswalk rows), then match through the CLI."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from aggregator.cli.main import cli
from aggregator.store.db import session_scope
from aggregator.store.marketplace_writer import write_order
from aggregator.store.models.matching import SkuCrosswalkRow
from platform_adapters.canonical import Order, OrderLine, OrderStatus, Platform
from tests.matching.story import FIXTURES, OWNER, SAMPLES, order_lines

IMPORTS = [("bl", "forwarder_bl.csv"), ("dcsa-ebl", "ebl_dcsa_v3.json"), ("customs", "customs_entry_my_k1.csv"),
           ("inbound", "warehouse_inbound.csv"), ("outbound", "warehouse_outbound.csv"),
           ("stock", "stock_lots_snapshot.csv")]


def cli_run(engine: Engine, tmp_path, *args: str):
    url = engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, ["--database-url", url, "--data-dir", str(tmp_path / "data"), *args])


def story_orders() -> list[Order]:
    frame = order_lines()
    orders = []
    for (platform, shop, order_id), rows in frame.groupby(["platform", "shop_id", "order_id"], sort=True):
        first = rows.iloc[0]
        created = datetime.fromisoformat(first["ordered_at"])
        orders.append(Order(
            platform=Platform.parse(platform), shop_id=shop, order_id=order_id,
            status=OrderStatus(first["order_status"]), raw_status=first["order_status"], created_at=created,
            updated_at=created, currency="MYR", paid_at=datetime.fromisoformat(first["paid_at"]),
            buyer_country=first["country"],
            lines=tuple(OrderLine(line_ref=r["line_ref"], seller_sku=r["sku"], quantity=int(r["qty"]),
                                  package_id=None if pd.isna(r["package_id"]) else r["package_id"],
                                  tracking_number=None if pd.isna(r["tracking_number"]) else r["tracking_number"])
                        for _, r in rows.iterrows())))
    return orders


def load_story(engine: Engine, tmp_path, samples=SAMPLES) -> None:
    assert cli_run(engine, tmp_path, "owners", "add", OWNER, "--name", OWNER).exit_code == 0
    for kind, name in IMPORTS:
        result = cli_run(engine, tmp_path, "import", kind, str(samples / name), "--owner", OWNER)
        assert result.exit_code == 0, (kind, result.output)
    crosswalk = pd.read_csv(FIXTURES / "matching" / "story_crosswalk.csv", dtype=str, keep_default_na=False)
    with session_scope(engine) as session:
        for order in story_orders():
            write_order(session, order, OWNER)
        for row in crosswalk.to_dict("records"):
            session.add(SkuCrosswalkRow(**row))
