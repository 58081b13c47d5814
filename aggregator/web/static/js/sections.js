// Sections the logistics pages share: a record's milestones, the orders a record fed (the orders list
// asked for the record's identifier, keyset-paged), and a definition list of a record's facts.
import { api } from "./api.js";
import { h, table, time } from "./dom.js";
import { add, t } from "./i18n.js";
import { showList } from "./paged.js";
import { orderColumns } from "./pages/orders.js";

add({
  en: {
    "ms.title": "Milestones", "ms.none": "No milestone received yet.", "ms.event": "Event", "ms.code": "Code",
    "ms.classifier": "Actual / estimated", "ms.location": "Location", "ms.equipment": "Container",
    "ms.ACT": "actual", "ms.EST": "estimated", "ms.PLN": "planned",
    "fed.title": "Orders it fed", "fed.intro": "Orders whose goods came through {id} (from the stored links).",
  },
  zh: {
    "ms.title": "节点", "ms.none": "尚未收到任何节点。", "ms.event": "事件", "ms.code": "代码",
    "ms.classifier": "实际 / 预计", "ms.location": "地点", "ms.equipment": "集装箱",
    "ms.ACT": "实际", "ms.EST": "预计", "ms.PLN": "计划",
    "fed.title": "供货的订单", "fed.intro": "货物经由 {id} 的订单（依据已保存的关联）。",
  },
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

/** A section listing the orders that touch identifier id, one keyset page at a time. */
export function ordersFed(id) {
  const holder = h("div");
  const message = h("p", { class: "message", role: "alert" });
  const section = h("section", { aria: { labelledby: "s-fed" } },
    h("h2", { id: "s-fed" }, t("fed.title")), h("p", { class: "intro" }, t("fed.intro", { id })), message, holder);
  const list = showList(holder, null, message, {
    caption: t("fed.title"), columns: orderColumns(),
    fetchPage: (cursor) => api("/api/v1/orders", { params: { q: id, cursor, limit: 50 } }),
  });
  return { section, list };
}

/** A <dl> of [label, value] pairs; empty values show as "—". */
export function facts(pairs) {
  return h("dl", { class: "summary" }, pairs.map(([label, value]) => [
    h("dt", {}, label),
    h("dd", {}, value === null || value === undefined || value === "" ? t("none") : value)]));
}
