// A bill of lading or air waybill, a customs entry, a warehouse receipt (ASN) and a lot, each with
// what it declared line by line, the records it points to, its milestones where it has them, the lots
// it brought in and the orders its goods fed. Each is read by its owner-scoped key from the API (another owner's answers 404).
import { ApiError, api } from "../api.js";
import { day, fill, h, money, section, table, time } from "../dom.js";
import { add, t } from "../i18n.js";
import { containerHref, receiptHref, searchHref } from "../records.js";
import { route } from "../router.js";
import { facts, milestones, ordersFed } from "../sections.js";
import { documentLines, portRoute, receiptLines } from "./container.js";
import { orderColumns } from "./orders.js";

add({
  "document.title": ["{type} {no}", "{type} {no}"],
  "document.containers": ["Containers", "集装箱"],
  "document.lines": ["Lines", "明细"],
  "customs.title": ["Customs entry {no}", "报关单 {no}"],
  "customs.country": ["Country", "国家"],
  "customs.regime": ["Regime", "监管方式"],
  "customs.importer": ["Importer of record", "进口人"],
  "customs.submitted": ["Lodged", "申报"],
  "customs.released": ["Released", "放行"],
  "customs.arrival": ["Arrival", "到港"],
  "customs.value": ["Customs value", "完税价格"],
  "customs.duty": ["Duty", "关税"],
  "customs.tax": ["Tax", "税"],
  "receipt.title": ["Receipt {asn}", "入库单 {asn}"],
  "receipt.mbl": ["Master BL", "主提单"],
  "receipt.hbl": ["House BL", "分提单"],
  "receipt.customs": ["Customs declaration", "报关单号"],
  "receipt.lines": ["Lines counted", "清点明细"],
  "lot.title": ["Lot {lot}", "批次 {lot}"],
  "lot.receiving": ["Being received", "收货中"],
  "lot.returned": ["Returned", "退回"],
  "lot.receipts": ["Came in on", "入库来源"],
  "lot.counted": ["Counted", "已清点"],
  "lot.truncated": ["The 500 newest orders are shown.", "仅显示最新的 500 个订单。"],
});

const path = (...parts) => parts.map(encodeURIComponent).join("/");
const find = (q) => (q ? h("a", { href: searchHref(q) }, q) : null);

async function load(body, url) {
  try {
    return await api(url);
  } catch (error) {
    fill(body, h("p", { class: "message", role: "alert" },
      error instanceof ApiError && error.status === 404 ? t("error.notfound") : t("error.load", { detail: error.message })));
    return null;
  }
}

async function renderDocument(view, { owner, no }, query, current) {
  const heading = h("h1", {}, t("document.title", { type: "", no }));
  const body = h("div");
  fill(view, heading, body);
  const d = await load(body, `/api/v1/documents/${path(owner, no)}`);
  if (!d || !current()) return;
  heading.textContent = t("document.title", { type: d.doc_type, no: d.doc_number });
  const fed = ordersFed(d.doc_number, `/api/v1/documents/${path(d.owner_id, d.doc_number)}/orders`);
  fill(body,
    facts([
      [t("col.owner"), d.owner_id], [t("doc.level"), `${d.mode} · ${d.doc_level}`],
      [t("doc.master"), find(d.master_doc_number)], [t("doc.carrier"), d.carrier_code], [t("doc.status"), d.status],
      [t("doc.route"), portRoute(d)], [t("doc.vessel"), d.vessel_or_flight], [t("doc.voyage"), d.voyage],
      [t("doc.etd"), day(d.etd)], [t("doc.onboard"), day(d.shipped_on_board_date)], [t("doc.eta"), day(d.eta)],
      [t("doc.incoterm"), d.incoterm]]),
    section("s-ct", t("document.containers"), d.containers.length
      ? h("ul", { class: "chips" }, d.containers.map((c) => h("li", {}, h("a", { href: containerHref(c) }, c))))
      : h("p", { class: "muted" }, t("none"))),
    section("s-ln", t("document.lines"), documentLines(d.lines, { withContainer: true })),
    section("s-ms", t("ms.title"), milestones(d.milestones, { equipment: true })),
    fed.section);
  await fed.list.ready;
  return () => fed.list.stop();
}

async function renderCustoms(view, { owner, country, no }, query, current) {
  const body = h("div");
  fill(view, h("h1", {}, t("customs.title", { no })), body);
  const c = await load(body, `/api/v1/customs-entries/${path(owner, country, no)}`);
  if (!c || !current()) return;
  const fed = ordersFed(c.declaration_no, `/api/v1/customs-entries/${path(c.owner_id, c.country, c.declaration_no)}/orders`);
  fill(body,
    facts([
      [t("col.owner"), c.owner_id], [t("customs.country"), c.country], [t("customs.regime"), c.regime],
      [t("col.status"), c.status], [t("customs.importer"), c.importer_of_record],
      [t("customs.arrival"), day(c.arrival_date)], [t("customs.submitted"), time(c.submitted_at)],
      [t("customs.released"), time(c.released_at)]]),
    section("s-ln", t("document.lines"), table([
      { label: t("col.line"), cell: (l) => l.line_no, cls: "num" },
      { label: t("doc.hs"), cell: (l) => l.hs_code || t("none") },
      { label: t("doc.description"), cell: (l) => l.description, cls: "wrap" },
      { label: t("col.qty"), cell: (l) => l.quantity ?? t("none"), cls: "num" },
      { label: t("customs.value"), cell: (l) => money(l.customs_value, l.currency), cls: "num" },
      { label: t("customs.duty"), cell: (l) => money(l.duty, l.currency), cls: "num opt" },
      { label: t("customs.tax"), cell: (l) => money(l.tax, l.currency), cls: "num opt" },
      { label: t("rc.po"), cell: (l) => l.po_number || t("none"), cls: "opt" },
      { label: t("step.container"), cell: (l) => (l.container_no
        ? h("a", { href: containerHref(l.container_no) }, l.container_no) : t("none")), cls: "id" },
    ], c.lines, { caption: t("document.lines") })),
    fed.section);
  await fed.list.ready;
  return () => fed.list.stop();
}

async function renderReceipt(view, { owner, warehouse, asn }, query, current) {
  const body = h("div");
  fill(view, h("h1", {}, t("receipt.title", { asn })), body);
  const r = await load(body, `/api/v1/receipts/${path(owner, warehouse, asn)}`);
  if (!r || !current()) return;
  const lot = query.get("lot") || "";
  const fed = ordersFed(r.asn_no);
  fill(body,
    facts([
      [t("col.owner"), r.owner_id], [t("rc.warehouse"), r.warehouse_code], [t("col.status"), r.status],
      [t("receipt.mbl"), find(r.mbl_no)], [t("receipt.hbl"), find(r.hbl_no)],
      [t("step.container"), r.container_no ? h("a", { href: containerHref(r.container_no) }, r.container_no) : null],
      [t("receipt.customs"), find(r.customs_declaration_no)],
      [t("rc.arrived"), time(r.arrived_at)], [t("rc.received"), time(r.received_at)]]),
    section("s-ln", t("receipt.lines"), receiptLines(r.lines, lot)),
    fed.section);
  await fed.list.ready;
  return () => fed.list.stop();
}

async function renderLot(view, { owner, warehouse, lot }, query, current) {
  const body = h("div");
  fill(view, h("h1", {}, t("lot.title", { lot })), body);
  const l = await load(body, `/api/v1/lots/${path(owner, warehouse, lot)}`);
  if (!l || !current()) return;
  fill(body,
    facts([
      [t("col.owner"), l.owner_id], [t("rc.warehouse"), l.warehouse_code], [t("col.sku"), l.sku],
      [t("rc.planned"), l.planned], [t("rc.good"), l.received_good], [t("rc.damaged"), l.received_damaged],
      [t("lot.receiving"), l.in_receiving], [t("fed.shipped"), l.shipped], [t("lot.returned"), l.returned],
      [t("fed.open"), h("strong", {}, l.open)]]),
    section("s-rc", t("lot.receipts"), table([
      { label: t("rc.asn"), cell: (r) => h("a", { href: receiptHref(owner, warehouse, r.asn_no, lot) }, r.asn_no), cls: "id" },
      { label: t("col.line"), cell: (r) => r.line_no, cls: "num" },
      { label: t("rc.planned"), cell: (r) => r.planned, cls: "num" },
      { label: t("lot.counted"), cell: (r) => t(r.received ? "yes" : "no") },
    ], l.receipts, { caption: t("lot.receipts") })),
    section("s-fed", t("fed.title"), l.orders.length
      ? table(orderColumns(), l.orders, { caption: t("fed.title") }) : h("p", { class: "muted" }, t("list.empty")),
    l.orders_truncated ? h("p", { class: "muted" }, t("lot.truncated")) : null));
}

route({ pattern: "/documents/:owner/:no", permission: "read", render: renderDocument });
route({ pattern: "/customs/:owner/:country/:no", permission: "read", render: renderCustoms });
route({ pattern: "/receipts/:owner/:warehouse/:asn", permission: "read", render: renderReceipt });
route({ pattern: "/lots/:owner/:warehouse/:lot", permission: "read", render: renderLot });
