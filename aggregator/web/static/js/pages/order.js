// One order: its summary, its chain drawn as a picture (chain.js), its lines and packages, and its
// timeline. It re-reads itself (an ETag'd GET, so unchanged answers cost a 304) when a live event
// names it (a status change), or when a matching run changed links or title events.
import { ApiError, api } from "../api.js";
import { fill, h, link, money, pill, table, time } from "../dom.js";
import { code, t } from "../i18n.js";
import { on } from "../live.js";
import { route } from "../router.js";
import { drawChain } from "../chain.js";

export function orderPath(platform, shop, order) {
  return `/api/v1/orders/${[platform, shop, order].map(encodeURIComponent).join("/")}`;
}

function summary(o) {
  const row = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
  return h("dl", { class: "summary" },
    row(t("col.status"), [pill("status", o.status), " ", h("small", { class: "muted" }, `${t("order.raw_status")}: ${o.raw_status}`)]),
    row(t("col.platform"), `${o.platform} · ${o.shop_id}`),
    row(t("col.owner"), o.owner_id),
    row(t("col.total"), money(o.total_amount, o.currency)),
    row(t("col.ordered"), time(o.ordered_at)),
    row(t("order.paid"), time(o.paid_at)),
    row(t("order.buyer_country"), o.buyer_country || t("none")),
    row(t("col.updated"), time(o.source_updated_at)));
}

function lines(o) {
  return table([
    { label: t("col.line"), cell: (l) => l.line_ref, cls: "id" },
    { label: t("col.sku"), cell: (l) => l.seller_sku },
    { label: t("col.qty"), cell: (l) => l.quantity, cls: "num" },
    { label: t("col.price"), cell: (l) => money(l.unit_price, l.currency), cls: "num" },
    { label: t("col.package"), cell: (l) => l.package_id || t("none"), cls: "opt" },
    { label: t("col.tracking"), cell: (l) => (l.tracking_number ? link(`#/search?q=${encodeURIComponent(l.tracking_number)}`, l.tracking_number) : t("none")) },
  ], o.lines, { caption: t("order.lines") });
}

function packages(o) {
  if (!o.packages.length) return h("p", { class: "muted" }, t("list.empty"));
  return table([
    { label: t("col.package"), cell: (p) => p.package_id, cls: "id" },
    { label: t("col.tracking"), cell: (p) => p.tracking_number || t("none") },
    { label: t("col.carrier"), cell: (p) => p.carrier || t("none") },
    { label: t("col.status"), cell: (p) => p.status || t("none") },
    { label: t("col.line"), cell: (p) => (p.line_refs || []).join(", "), cls: "opt" },
  ], o.packages, { caption: t("order.packages") });
}

function timeline(o) {
  return h("ol", { class: "timeline" }, o.timeline.map((s) => h("li", { class: `tl-${String(s.step).replace(/[^a-z_]/gi, "")}` },
    h("span", { class: "tl-when" }, time(s.at)),
    h("strong", { class: "tl-step" }, code("tl", s.step)),
    h("span", { class: "tl-source" }, s.source),
    s.record ? h("span", { class: "tl-record" }, s.record) : null,
    s.detail ? h("span", { class: "tl-detail" }, s.detail) : null)));
}

async function renderOrder(view, { platform, shop, order }, query, current) {
  const path = orderPath(platform, shop, order);
  const key = `${platform}|${shop}|${order}`;
  const body = h("div", { class: "order" });
  fill(view, h("p", {}, link("#/orders", t("order.back"))), h("h1", {}, t("order.title", { id: order })), body);

  const load = async () => {
    let o;
    try {
      o = await api(path);
    } catch (error) {
      fill(body, h("p", { class: "message", role: "alert" },
        error instanceof ApiError && error.status === 404 ? t("error.notfound") : t("error.load", { detail: error.message })));
      return;
    }
    if (!current()) return;
    const chainBox = h("div", { class: "chain-box" });
    fill(body,
      h("section", { aria: { labelledby: "s-sum" } }, h("h2", { id: "s-sum", class: "sr-only" }, t("order.summary")), summary(o)),
      h("section", { aria: { labelledby: "s-chain" } }, h("h2", { id: "s-chain" }, t("order.chain")),
        h("p", { class: "intro" }, t("order.chain.intro")), chainBox),
      h("section", { aria: { labelledby: "s-lines" } }, h("h2", { id: "s-lines" }, t("order.lines")), lines(o)),
      h("section", { aria: { labelledby: "s-pk" } }, h("h2", { id: "s-pk" }, t("order.packages")), packages(o)),
      h("section", { aria: { labelledby: "s-tl" } }, h("h2", { id: "s-tl" }, t("order.timeline")), timeline(o)));
    await drawChain(chainBox, o, path);
  };
  await load();
  const mine = (event) => event.key === key || (event.data && event.data.order_key === key);
  const reload = (event) => { if (mine(event)) load(); };
  // a matching run tells per partition what it changed (links.changed, title.changed): read the order again,
  // once for a burst of them
  let timer;
  const later = () => { clearTimeout(timer); timer = setTimeout(load, 500); };
  const offs = [on("order.status_changed", reload), on("links.changed", later), on("title.changed", later)];
  return () => { clearTimeout(timer); offs.forEach((off) => off()); };
}

route({ pattern: "/orders/:platform/:shop/:order", permission: "read", render: renderOrder });
