// Sections the logistics pages share: a record's milestones, the orders a record fed (the orders list
// asked for the record's identifier, keyset-paged), and a definition list of a record's facts.
import { api } from "./api.js";
import { fill, h, table, time } from "./dom.js";
import { add, t } from "./i18n.js";
import { showList } from "./paged.js";
import { orderColumns } from "./pages/orders.js";
import { lotHref } from "./records.js";

add({
  "ms.title": ["Milestones", "节点"],
  "ms.none": ["No milestone received yet.", "尚未收到任何节点。"],
  "ms.event": ["Event", "事件"],
  "ms.code": ["Code", "代码"],
  "ms.classifier": ["Actual / estimated", "实际 / 预计"],
  "ms.location": ["Location", "地点"],
  "ms.equipment": ["Container", "集装箱"],
  "ms.ACT": ["actual", "实际"],
  "ms.EST": ["estimated", "预计"],
  "ms.PLN": ["planned", "计划"],
  "fed.title": ["Orders it fed", "供货的订单"],
  "fed.intro": ["Orders whose goods came through {id} (from the stored links).", "货物经由 {id} 的订单（依据已保存的关联）。"],
  "fed.lots": ["Lots it brought in", "带入的批次"],
  "fed.in": ["Units in", "入库件数"],
  "fed.shipped": ["Shipped", "已出库"],
  "fed.open": ["Open", "结余"],
});

/** A table of milestones (DCSA-style events: type, code, ACT/EST/PLN, when, where). */
export function milestones(rows, { equipment = false } = {}) {
  if (!rows.length) return h("p", { class: "muted" }, t("ms.none"));
  return table([
    { label: t("col.when"), cell: (m) => time(m.event_at) },
    { label: t("ms.event"), cell: (m) => m.event_type },
    { label: t("ms.code"), cell: (m) => h("code", {}, m.code) },
    { label: t("ms.classifier"), cell: (m) => t(`ms.${m.classifier}`) },
    equipment ? { label: t("ms.equipment"), cell: (m) => m.equipment_no || t("none"), cls: "id" } : null,
    { label: t("ms.location"), cell: (m) => m.location || t("none") },
  ].filter(Boolean), rows, { caption: t("ms.title") });
}

/** The lots an upstream record brought in (FedOut.lots of GET …/orders): units in, open now. */
export function lotsTable(lots) {
  return table([
    { label: t("rc.lot"), cell: (l) => h("a", { href: lotHref(l.owner_id, l.warehouse_code, l.lot_id) }, l.lot_id), cls: "id" },
    { label: t("rc.warehouse"), cell: (l) => l.warehouse_code },
    { label: t("col.sku"), cell: (l) => l.sku || t("none") },
    { label: t("fed.in"), cell: (l) => (l.units_in ?? l.planned), cls: "num" },
    { label: t("fed.shipped"), cell: (l) => l.shipped, cls: "num opt" },
    { label: t("fed.open"), cell: (l) => l.open, cls: "num" },
  ], lots, { caption: t("fed.lots") });
}

/**
 * A section with the orders a record fed, one keyset page at a time: from the record's own
 * "…/orders" route (its lots first, then the orders they fed) when it has one, else from the orders
 * list asked for the record's identifier.
 */
export function ordersFed(id, fedPath) {
  const holder = h("div");
  const lots = h("div");
  const message = h("p", { class: "message", role: "alert" });
  const section = h("section", { aria: { labelledby: "s-fed" } },
    h("h2", { id: "s-fed" }, t("fed.title")), h("p", { class: "intro" }, t("fed.intro", { id })), message, lots, holder);
  const list = showList(holder, null, message, {
    caption: t("fed.title"), columns: orderColumns(),
    fetchPage: async (cursor) => {
      if (!fedPath) return api("/api/v1/orders", { params: { q: id, cursor, limit: 50 } });
      const fed = await api(fedPath, { params: { cursor, limit: 50 } });
      if (!cursor && fed.lots.length) fill(lots, h("h3", {}, t("fed.lots")), lotsTable(fed.lots));
      return fed.orders;
    },
  });
  return { section, list };
}

/** A <dl> of [label, value] pairs; empty values show as "—". */
export function facts(pairs) {
  return h("dl", { class: "summary" }, pairs.map(([label, value]) => [
    h("dt", {}, label),
    h("dd", {}, value === null || value === undefined || value === "" ? t("none") : value)]));
}
