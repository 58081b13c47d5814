// Orders: the keyset-paged list with its filters (any identifier, status, platform, SKU, dates), new
// orders and status changes arriving live.
import { api } from "../api.js";
import { fill, h, link, money, orderHref, pill, time } from "../dom.js";
import { t } from "../i18n.js";
import { on } from "../live.js";
import { showList } from "../paged.js";
import { route, setQuery } from "../router.js";

export const STATUSES = ["UNPAID", "READY_TO_SHIP", "PROCESSING", "SHIPPED", "DELIVERED", "COMPLETED", "CANCELLING",
  "CANCELLED", "RETURNING", "RETURNED", "LOST", "UNKNOWN"];
const PLATFORMS = ["shopee", "lazada", "tiktok"];
const FILTERS = ["q", "status", "platform", "sku", "from", "to", "per"];
const PER_PAGE = ["25", "50", "100", "200"];

export function orderColumns() {
  return [
    { label: t("col.order"), cell: (o) => link(orderHref(o), o.order_id), cls: "id" },
    { label: t("col.platform"), cell: (o) => o.platform, cls: "opt" },
    { label: t("col.shop"), cell: (o) => o.shop_id, cls: "opt" },
    { label: t("col.owner"), cell: (o) => o.owner_id, cls: "opt" },
    { label: t("col.status"), cell: (o) => pill("status", o.status) },
    { label: t("col.total"), cell: (o) => money(o.total_amount, o.currency), cls: "num" },
    { label: t("col.ordered"), cell: (o) => time(o.ordered_at), cls: "opt" },
    { label: t("col.updated"), cell: (o) => time(o.source_updated_at) },
  ];
}

const orderKey = (o) => `${o.platform}|${o.shop_id}|${o.order_id}`;

/** The day typed in a date box as an aware instant (the browser's zone), for the API. */
function instant(value) {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function filterForm(values, onSubmit) {
  const option = (v, label) => h("option", { value: v, selected: values.status === v || values.platform === v }, label);
  const form = h("form", { class: "filters", role: "search", aria: { label: t("orders.title") } },
    h("div", { class: "field grow" }, h("label", { for: "f-q" }, t("orders.filter.q")),
      h("input", { id: "f-q", name: "q", type: "search", maxlength: "200", value: values.q || "",
        placeholder: t("orders.filter.q.placeholder") })),
    h("div", { class: "field" }, h("label", { for: "f-status" }, t("orders.filter.status")),
      h("select", { id: "f-status", name: "status" }, option("", t("orders.filter.any")),
        STATUSES.map((s) => option(s, t(`status.${s}`))))),
    h("div", { class: "field" }, h("label", { for: "f-platform" }, t("orders.filter.platform")),
      h("select", { id: "f-platform", name: "platform" }, option("", t("orders.filter.any")),
        PLATFORMS.map((p) => option(p, p)))),
    h("div", { class: "field opt" }, h("label", { for: "f-sku" }, t("orders.filter.sku")),
      h("input", { id: "f-sku", name: "sku", maxlength: "128", value: values.sku || "" })),
    h("div", { class: "field opt" }, h("label", { for: "f-from" }, t("orders.filter.from")),
      h("input", { id: "f-from", name: "from", type: "date", value: values.from || "" })),
    h("div", { class: "field opt" }, h("label", { for: "f-to" }, t("orders.filter.to")),
      h("input", { id: "f-to", name: "to", type: "date", value: values.to || "" })),
    h("div", { class: "field" }, h("label", { for: "f-per" }, t("list.per")),
      h("select", { id: "f-per", name: "per" }, PER_PAGE.map((n) => h("option", { value: n, selected: (values.per || "50") === n }, n)))),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, t("orders.filter.apply")),
      h("button", { type: "button", class: "secondary clear" }, t("orders.filter.clear"))));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    onSubmit(Object.fromEntries(FILTERS.map((k) => [k, (data[k] || "").trim()])));
  });
  form.querySelector(".clear").addEventListener("click", () => {
    for (const control of form.elements) if (control.name && control.name !== "per") control.value = "";
    form.requestSubmit();
  });
  return form;
}

async function renderList(view, params, query) {
  const values = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) || ""]));
  const message = h("p", { class: "message", role: "alert" });
  const banner = h("button", { type: "button", class: "banner", hidden: true });
  const holder = h("div");
  let list = null;
  let pending = 0;

  const start = (filters) => {
    pending = 0;
    banner.hidden = true;
    const apiParams = {
      q: filters.q, status: filters.status, platform: filters.platform, sku: filters.sku,
      ordered_from: instant(filters.from), ordered_to: instant(filters.to),
      limit: PER_PAGE.includes(filters.per) ? filters.per : "50",
    };
    list = showList(holder, list, message, {
      caption: t("orders.title"),
      columns: orderColumns(),
      key: orderKey,
      rowAttrs: (o) => ({ dataset: { order: orderKey(o) } }),
      fetchPage: (cursor) => api("/api/v1/orders", { params: { ...apiParams, cursor } }),
    });
    return list.ready;
  };

  fill(view,
    h("h1", {}, t("orders.title")),
    filterForm(values, (filters) => { setQuery(filters); Object.assign(values, filters); start(filters); }),
    message, banner, holder);
  banner.addEventListener("click", () => start(values));
  await start(values);

  // Live: a changed order already shown is updated in place; without filters a new one is added on
  // top; with filters, a banner offers to reload (the API decides what matches them).
  const refresh = async (event) => {
    const d = event.data || {};
    const shown = list.rowsByKey.has(event.key);
    if (!shown && FILTERS.some((k) => k !== "per" && values[k])) {
      pending += 1;
      banner.textContent = t("live.new.orders", { n: pending });
      banner.hidden = false;
      return;
    }
    try {
      const order = await api(`/api/v1/orders/${[d.platform, d.shop_id, d.order_id].map(encodeURIComponent).join("/")}`);
      list.upsert(order);
    } catch { /* gone or no longer visible: leave the list as it is */ }
  };
  const offs = [on("order.created", refresh), on("order.status_changed", refresh)];
  return () => { offs.forEach((off) => off()); if (list) list.stop(); };
}

route({ pattern: "/orders", nav: "nav.orders", permission: "read", render: renderList });
