// One container: per owner who had goods in it, the bills of lading that carried it and what each
// declared in it (description, HS code, packages, quantity), the receipts it was unloaded into and what
// was counted there (SKU, lot); then its milestones and the orders its goods fed. The container itself
// is physical and shared: each owner sees only its own documents and receipts (the API scopes them).
import { ApiError, api } from "../api.js";
import { day, fill, h, table, time } from "../dom.js";
import { add, t } from "../i18n.js";
import { containerHref, documentHref, receiptHref } from "../records.js";
import { route } from "../router.js";
import { milestones, ordersFed } from "../sections.js";

add({
  "container.title": ["Container {no}", "集装箱 {no}"],
  "container.owner": ["Owner {owner}", "货主 {owner}"],
  "container.documents": ["Carried under", "所属提单"],
  "container.goods": ["Goods declared in it", "提单申报的货物"],
  "container.receipts": ["Unloaded into", "卸入的入库单"],
  "container.counted": ["Counted at the warehouse", "仓库清点"],
  "doc.number": ["Number", "单号"],
  "doc.type": ["Type", "类型"],
  "doc.level": ["Level", "层级"],
  "doc.vessel": ["Vessel / flight", "船名 / 航班"],
  "doc.voyage": ["Voyage", "航次"],
  "doc.route": ["Route", "航线"],
  "doc.onboard": ["On board", "装船日"],
  "doc.etd": ["ETD", "预计离港"],
  "doc.eta": ["ETA", "预计到港"],
  "doc.incoterm": ["Incoterm", "贸易术语"],
  "doc.master": ["Master", "主单"],
  "doc.carrier": ["Carrier", "承运人"],
  "doc.status": ["Status", "状态"],
  "doc.description": ["Description", "品名"],
  "doc.hs": ["HS code", "HS 编码"],
  "doc.packages": ["Packages", "件数"],
  "doc.weight": ["Gross kg", "毛重（千克）"],
  "rc.asn": ["ASN", "入库单"],
  "rc.warehouse": ["Warehouse", "仓库"],
  "rc.arrived": ["Arrived", "到仓"],
  "rc.received": ["Received", "收货"],
  "rc.planned": ["Planned", "计划"],
  "rc.good": ["Good", "良品"],
  "rc.damaged": ["Damaged", "残次"],
  "rc.lot": ["Lot", "批次"],
  "rc.po": ["PO", "采购单"],
});

export function portRoute(d) {
  return [d.port_of_loading, d.port_of_discharge].filter(Boolean).join(" → ") || t("none");
}

export function documentsTable(docs) {
  return table([
    { label: t("doc.number"), cell: (d) => h("a", { href: documentHref(d.owner_id, d.doc_number) }, d.doc_number), cls: "id" },
    { label: t("doc.type"), cell: (d) => `${d.doc_type} · ${d.doc_level}` },
    { label: t("doc.vessel"), cell: (d) => [d.vessel_or_flight, d.voyage].filter(Boolean).join(" / ") || t("none") },
    { label: t("doc.route"), cell: portRoute },
    { label: t("doc.onboard"), cell: (d) => day(d.shipped_on_board_date) },
    { label: t("doc.eta"), cell: (d) => day(d.eta) },
    { label: t("doc.incoterm"), cell: (d) => d.incoterm || t("none"), cls: "opt" },
  ], docs, { caption: t("container.documents") });
}

export function documentLines(lines, { withContainer = false } = {}) {
  return table([
    { label: t("col.line"), cell: (l) => l.line_no, cls: "num" },
    withContainer ? { label: t("step.container"), cell: (l) => (l.container_no
      ? h("a", { href: containerHref(l.container_no) }, l.container_no) : t("none")), cls: "id" } : null,
    { label: t("doc.description"), cell: (l) => l.description, cls: "wrap" },
    { label: t("doc.hs"), cell: (l) => l.hs_code || t("none") },
    { label: t("doc.packages"), cell: (l) => l.packages ?? t("none"), cls: "num" },
    { label: t("col.qty"), cell: (l) => l.quantity ?? t("none"), cls: "num" },
    { label: t("col.sku"), cell: (l) => l.sku || t("none"), cls: "opt" },
  ].filter(Boolean), lines, { caption: t("container.goods") });
}

export function receiptsTable(receipts) {
  return table([
    { label: t("rc.asn"), cell: (r) => h("a", { href: receiptHref(r.owner_id, r.warehouse_code, r.asn_no) }, r.asn_no), cls: "id" },
    { label: t("rc.warehouse"), cell: (r) => r.warehouse_code },
    { label: t("col.status"), cell: (r) => r.status || t("none") },
    { label: t("rc.arrived"), cell: (r) => time(r.arrived_at), cls: "opt" },
    { label: t("rc.received"), cell: (r) => time(r.received_at) },
  ], receipts, { caption: t("container.receipts") });
}

export function receiptLines(lines, lot) {
  return table([
    { label: t("col.line"), cell: (l) => l.line_no, cls: "num" },
    { label: t("col.sku"), cell: (l) => l.sku },
    { label: t("rc.lot"), cell: (l) => l.lot_id || t("none"), cls: "id" },
    { label: t("rc.planned"), cell: (l) => l.planned_qty, cls: "num opt" },
    { label: t("rc.good"), cell: (l) => l.received_good_qty, cls: "num" },
    { label: t("rc.damaged"), cell: (l) => l.received_damaged_qty, cls: "num" },
    { label: t("rc.po"), cell: (l) => l.po_number || t("none"), cls: "opt" },
  ], lines, { caption: t("container.counted"), rowAttrs: (l) => ({ class: lot && l.lot_id === lot ? "row-hit" : null }) });
}

async function ownerSection(owner, docs, receipts, no) {
  const details = await Promise.all(docs.map((d) => api(
    `/api/v1/documents/${encodeURIComponent(d.owner_id)}/${encodeURIComponent(d.doc_number)}`)));
  const goods = details.flatMap((d) => d.lines.filter((l) => !l.container_no || l.container_no === no)
    .map((l) => ({ ...l, doc: d.doc_number })));
  const counted = await Promise.all(receipts.map((r) => api(
    `/api/v1/receipts/${[r.owner_id, r.warehouse_code, r.asn_no].map(encodeURIComponent).join("/")}`)));
  const id = `s-owner-${owner.replace(/[^\w-]/g, "_")}`;
  return h("section", { class: "owner-block", aria: { labelledby: id } },
    h("h2", { id }, t("container.owner", { owner })),
    docs.length ? [h("h3", {}, t("container.documents")), documentsTable(docs)] : null,
    goods.length ? [h("h3", {}, t("container.goods")), documentLines(goods)] : null,
    receipts.length ? [h("h3", {}, t("container.receipts")), receiptsTable(receipts)] : null,
    counted.length ? [h("h3", {}, t("container.counted")), receiptLines(counted.flatMap((r) => r.lines))] : null);
}

async function renderContainer(view, { no }, query, current) {
  const body = h("div");
  fill(view, h("h1", {}, t("container.title", { no })), body);
  let c;
  try {
    c = await api(`/api/v1/containers/${encodeURIComponent(no)}`);
  } catch (error) {
    fill(body, h("p", { class: "message", role: "alert" },
      error instanceof ApiError && error.status === 404 ? t("error.notfound") : t("error.load", { detail: error.message })));
    return;
  }
  if (!current()) return;
  const owners = [...new Set([...c.documents.map((d) => d.owner_id), ...c.receipts.map((r) => r.owner_id)])].sort();
  const blocks = await Promise.all(owners.map((owner) => ownerSection(owner,
    c.documents.filter((d) => d.owner_id === owner), c.receipts.filter((r) => r.owner_id === owner), c.container_no)));
  if (!current()) return;
  const fed = ordersFed(c.container_no, `/api/v1/containers/${encodeURIComponent(c.container_no)}/orders`);
  fill(body, blocks,
    h("section", { aria: { labelledby: "s-ms" } }, h("h2", { id: "s-ms" }, t("ms.title")), milestones(c.milestones)),
    fed.section);
  await fed.list.ready;
  return () => fed.list.stop();
}

route({ pattern: "/containers/:no", permission: "read", render: renderContainer });
