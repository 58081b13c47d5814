// The order's chain drawn as a picture: a ribbon of the eleven steps (order → lines → packages →
// warehouse shipment → lot → receipt → container → bill of lading → customs → delivery → payout), lit
// up to where the order has come, and under it one lane per (order line, lot) with a card per step:
// its record, time, source, how it was linked and how sure, and who holds title, risk and custody there.
//
// The model: {steps: [code…], head: [node], lanes: [{label, nodes: [node]}], tail: [node]}; a node is
// {step, record, href?, at?, source?, method?, confidence?, title?, risk?, custody?, facts: [[label, value]]}.
import { fill, h, time } from "./dom.js";
import { api } from "./api.js";
import { code, t } from "./i18n.js";
import { containerHref, documentHref, lotHref, receiptHref, searchHref } from "./records.js";

export const STEPS = ["order", "lines", "package", "shipment", "lot", "receipt", "container", "document", "customs",
  "delivery", "payout"];

/** The model from an order detail (lines, packages, chain links, timeline). */
export function modelFromDetail(o) {
  const steps = (name) => o.timeline.filter((s) => s.step === name);
  const first = (name) => steps(name)[0];
  const orderNode = {
    step: "order", record: `${o.platform} ${o.order_id}`, at: o.ordered_at, source: o.platform,
    facts: [[t("col.status"), code("status", o.status)], [t("order.paid"), o.paid_at ? time(o.paid_at) : t("none")]],
  };
  const byLine = new Map();
  for (const link of o.chain || []) {
    const list = byLine.get(link.order_line_ref) || [];
    list.push(link);
    byLine.set(link.order_line_ref, list);
  }
  const lanes = [];
  for (const line of o.lines) {
    const pkg = o.packages.find((p) => p.package_id === line.package_id || (p.line_refs || []).includes(line.line_ref));
    const lineNode = { step: "lines", record: line.line_ref, facts: [[t("col.sku"), line.seller_sku], [t("col.qty"), line.quantity]] };
    const packageNode = pkg || line.tracking_number ? {
      step: "package", record: (pkg && pkg.package_id) || line.package_id || line.tracking_number,
      href: searchHref((pkg && pkg.tracking_number) || line.tracking_number || line.package_id),
      source: o.platform,
      facts: [[t("col.tracking"), (pkg && pkg.tracking_number) || line.tracking_number || t("none")],
        [t("col.carrier"), (pkg && pkg.carrier) || t("none")]],
    } : null;
    const links = byLine.get(line.line_ref) || [null];
    for (const l of links) {
      const nodes = [lineNode, packageNode];
      const dispatched = first("dispatched");
      nodes.push(dispatched ? { step: "shipment", record: dispatched.record, at: dispatched.at, source: dispatched.source,
        facts: [[t("col.detail"), dispatched.detail]] } : null);
      if (l) {
        const method = l.method;
        const confidence = l.confidence;
        nodes.push({ step: "lot", record: l.lot_id,
          href: l.warehouse_code ? lotHref(o.owner_id, l.warehouse_code, l.lot_id) : searchHref(l.lot_id),
          method, confidence, source: "matching",
          facts: [[t("col.qty"), l.qty], ["WH", l.warehouse_code || t("none")]] });
        const received = steps("received").find((s) => s.record === `ASN ${l.asn_no}`);
        nodes.push(l.asn_no ? { step: "receipt", record: l.asn_no,
          href: receiptHref(o.owner_id, l.warehouse_code, l.asn_no), at: received && received.at,
          source: "warehouse" } : null);
        nodes.push(l.container_no ? { step: "container", record: l.container_no, href: containerHref(l.container_no) } : null);
        const board = steps("on_board").find((s) => l.transport_document_no && s.record.endsWith(l.transport_document_no));
        nodes.push(l.transport_document_no ? { step: "document", record: l.transport_document_no,
          href: documentHref(o.owner_id, l.transport_document_no), at: board && board.at, source: "forwarder" } : null);
        const released = steps("customs_released").find((s) => s.record.endsWith(l.customs_declaration_no || "\u0000"));
        nodes.push(l.customs_declaration_no ? { step: "customs", record: l.customs_declaration_no,
          href: searchHref(l.customs_declaration_no), at: released && released.at, source: "customs" } : null);
      } else {
        nodes.push(null, null, null, null, null);
      }
      const delivered = first("delivered");
      nodes.push(delivered ? { step: "delivery", record: delivered.record, at: delivered.at, source: delivered.source } : null);
      lanes.push({
        link: l,
        label: l ? t("chain.lane", { line: line.line_ref, lot: l.lot_id }) : t("chain.lane.unlinked", { line: line.line_ref }),
        nodes: nodes.map((n, i) => n || { step: STEPS[i + 1], missing: true }),
      });
    }
  }
  const settled = steps("settled");
  const tail = [settled.length ? {
    step: "payout", record: settled.map((s) => s.record).join(", "), at: settled[settled.length - 1].at,
    source: settled[0].source, facts: settled.map((s) => [code("tl", s.step), s.detail]),
  } : { step: "payout", missing: true }];
  return { head: [orderNode], lanes, tail };
}

/** Which steps the order has reached (for the ribbon). */
function reached(model) {
  const done = new Set();
  for (const n of [...model.head, ...model.tail, ...model.lanes.flatMap((l) => l.nodes)]) if (!n.missing) done.add(n.step);
  return done;
}

function ribbon(model, label) {
  const done = reached(model);
  return h("ol", { class: "ribbon", aria: { label } }, STEPS.map((step) => h("li", { class: done.has(step) ? "done" : null },
    h("span", { class: "dot", aria: { hidden: "true" } }),
    h("span", { class: "ribbon-label" }, t(`step.${step}`)),
    h("span", { class: "sr-only" }, done.has(step) ? " ✓" : ` (${t("chain.missing")})`))));
}

function confidenceText(c) {
  if (c === null || c === undefined) return null;
  return `${Math.round(Number(c) * 100)} %`;
}

function card(node) {
  if (node.missing) {
    return h("li", { class: ["node", "missing", `step-${node.step}`] },
      h("span", { class: "node-step" }, t(`step.${node.step}`)), h("span", { class: "muted" }, t("chain.missing")));
  }
  const facts = [];
  const add = (label, value) => { if (value !== null && value !== undefined && value !== "") facts.push([label, value]); };
  add(t("chain.at"), node.at ? time(node.at) : null);
  add(t("chain.source"), node.source);
  add(t("chain.method"), node.method);
  add(t("chain.confidence"), confidenceText(node.confidence));
  for (const [label, value] of node.facts || []) add(label, value);
  const holders = node.title || node.risk || node.custody ? h("p", { class: "holders", title: node.titleNote || null },
    h("span", { class: "holder title" }, h("abbr", { title: t("chain.title") }, "T"), " ", node.title || t("none")),
    h("span", { class: "holder risk" }, h("abbr", { title: t("chain.risk") }, "R"), " ", node.risk || t("none")),
    h("span", { class: "holder custody" }, h("abbr", { title: t("chain.custody") }, "C"), " ", node.custody || t("none")))
    : null;
  const low = node.confidence !== undefined && node.confidence !== null && Number(node.confidence) < 0.95;
  return h("li", { class: ["node", `step-${node.step}`, low ? "low-confidence" : null, node.titleState ? `ts-${node.titleState.toLowerCase()}` : null] },
    h("span", { class: "node-step" }, t(`step.${node.step}`)),
    h("span", { class: "node-record" }, node.href ? h("a", { href: node.href }, node.record) : node.record),
    h("dl", { class: "node-facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    holders);
}

// Which of a lot's title events speaks for a step: the last one whose location is the step's.
const STEP_LOCATIONS = {
  shipment: ["ALLOCATED", "IN_LAST_MILE"],
  delivery: ["DELIVERED"],
  container: ["IN_TRANSIT_OCEAN", "IN_TRANSIT_AIR"],
  document: ["IN_TRANSIT_OCEAN", "IN_TRANSIT_AIR"],
  customs: ["AT_DESTINATION", "UNDER_CUSTOMS_CONTROL", "CLEARED"],
  receipt: ["IN_RECEIVING", "AVAILABLE"],
  lot: ["IN_RECEIVING", "AVAILABLE", "ALLOCATED", "RETURNED_PENDING_QC"],
};

/** Title, risk and custody on each step of the lanes, from the title events of each lane's lot and of its
 * units allocated to the lane's warehouse shipment line (last mile, delivery): one request per lane. */
async function addHolders(model, o) {
  const lots = new Map();
  for (const lane of model.lanes) {
    const l = lane.link;
    if (!l || !l.warehouse_code) continue;
    const path = `/api/v1/title/lots/${[o.owner_id, l.warehouse_code, l.lot_id].map(encodeURIComponent).join("/")}/events`;
    const params = l.shipment_line_key ? { shipment: l.shipment_line_key } : {};
    const key = `${path}?${l.shipment_line_key || ""}`;
    if (!lots.has(key)) lots.set(key, api(path, { params }).catch(() => []));
    lane.events = lots.get(key);
  }
  for (const lane of model.lanes) {
    const events = lane.events ? await lane.events : [];
    for (const node of lane.nodes) {
      const places = STEP_LOCATIONS[node.step];
      const event = places && !node.missing ? [...events].reverse().find((e) => places.includes(e.location_state)) : null;
      if (!event) continue;
      Object.assign(node, { title: event.title_holder, risk: event.risk_bearer, custody: event.custodian,
        titleState: event.title_state, titleNote: `${event.kind} · ${event.basis}: ${event.basis_note}` });
    }
  }
}

/** Draw the chain of order o into box. */
export async function drawChain(box, o) {
  const model = modelFromDetail(o);
  await addHolders(model, o);
  const label = t("chain.picture.label", { id: o.order_id });
  fill(box,
    ribbon(model, label),
    h("div", { class: "chain", role: "group", aria: { label } },
      h("ol", { class: "chain-head" }, model.head.map(card)),
      h("div", { class: "lanes" }, model.lanes.map((lane) => h("section", { class: "lane", aria: { label: lane.label } },
        h("h3", { class: "lane-label" }, lane.label),
        h("ol", { class: "lane-nodes" }, lane.nodes.map(card))))),
      h("ol", { class: "chain-tail" }, model.tail.map(card))),
    (o.chain || []).length ? null : h("p", { class: "muted" }, t("order.chain.none")));
}
