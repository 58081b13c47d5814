// Search anything: one box for any identifier. Two questions go out at once: which orders touch it
// (GET /api/v1/orders?q=: order, line, package, tracking and, once matched, container, BL, customs,
// ASN, lot) and which other records carry it (GET /api/v1/lookup?q=: containers, bills of lading and
// air waybills, customs entries, receipts, lots, SKUs). Exactly one record found opens it (its page
// lists the orders it fed), else exactly one order opens the order — replacing the search in the
// history, so Back returns to where the search started; anything else is listed.
import { api } from "../api.js";
import { fill, h, orderHref, table } from "../dom.js";
import { t } from "../i18n.js";
import { orderColumns } from "./orders.js";
import { PagedTable } from "../paged.js";
import { replace, route } from "../router.js";
import { hitHref, hitRecord } from "../records.js";

function hitsTable(hits, q) {
  return table([
    { label: t("search.kind"), cell: (x) => t(`kind.${x.kind}`) },
    { label: t("search.record"), cell: (x) => h("a", { href: hitHref(x, q) }, hitRecord(x, q)), cls: "id" },
    { label: t("search.owner"), cell: (x) => x.owner_id || t("search.shared") },
    { label: t("search.detail"), cell: (x) => [h("span", { class: "pill" }, x.label), " ", x.detail], cls: "wrap" },
  ], hits, { caption: t("search.records") });
}

async function renderSearch(view, params, query, current) {
  const q = (query.get("q") || "").trim();
  const box = document.getElementById("search-box");
  if (box && box.value !== q) box.value = q;
  const message = h("p", { class: "message", role: "status" });
  const records = h("div");
  const orders = h("div");
  fill(view, h("h1", {}, t("search.title", { q })), message, records, orders);
  if (!q) { message.textContent = t("search.empty"); return; }
  message.textContent = t("list.loading");
  let first;
  let found;
  try {
    [first, found] = await Promise.all([
      api("/api/v1/orders", { params: { q, limit: 50 } }),
      api("/api/v1/lookup", { params: { q } }),
    ]);
  } catch (error) {
    message.textContent = t("error.load", { detail: error.message });
    message.setAttribute("role", "alert");
    return;
  }
  if (!current()) return;
  // one record (a container, a bill, an entry, a receipt, a lot) opens it: its page lists the orders it
  // fed; with no such record, one order opens the order
  const hits = found.hits;
  if (hits.length === 1 && hits[0].kind !== "sku") { replace(hitHref(hits[0], q)); return; }
  const oneOrder = first.items.length === 1 && !first.next_cursor;
  if (oneOrder && !hits.length) { replace(orderHref(first.items[0])); return; }
  if (!first.items.length && hits.length === 1) { replace(hitHref(hits[0], q)); return; }
  if (!first.items.length && !hits.length) {
    message.textContent = t("search.none", { q });
    return;
  }
  const orderCount = `${first.count}${first.count_exact ? "" : "+"}`;
  message.textContent = t("search.found", { records: hits.length, orders: orderCount, q });
  if (hits.length) fill(records, h("h2", {}, t("search.records")), hitsTable(hits, q));
  if (!first.items.length) return;
  let served = false;
  const list = new PagedTable({
    caption: t("search.orders"), columns: orderColumns(),
    fetchPage: (cursor) => {
      if (!served) { served = true; return Promise.resolve(first); }
      return api("/api/v1/orders", { params: { q, limit: 50, cursor } });
    },
  });
  fill(orders, h("h2", {}, t("search.orders")), list.el);
  await list.start();
  return () => list.stop();
}

route({ pattern: "/search", permission: "read", render: renderSearch });
