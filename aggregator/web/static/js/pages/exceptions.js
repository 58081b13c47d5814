// Exceptions: the queue of records a person must look at, filtered by status, paged, new ones arriving
// live (the header's badge counts those that arrive while another page is open).
import { api } from "../api.js";
import { duration, fill, h, time } from "../dom.js";
import { t } from "../i18n.js";
import { on } from "../live.js";
import { showList } from "../paged.js";
import { route, setQuery } from "../router.js";

const STATUSES = ["open", "retried", "resolved"];

function columns() {
  return [
    { label: t("col.id"), cell: (x) => x.id, cls: "num" },
    { label: t("col.owner"), cell: (x) => x.owner_id || t("none"), cls: "opt" },
    { label: t("col.source"), cell: (x) => x.source },
    { label: t("col.kind"), cell: (x) => x.kind },
    { label: t("col.record"), cell: (x) => x.record_key || t("none"), cls: "id" },
    { label: t("col.reason"), cell: (x) => x.reason, cls: "wrap" },
    { label: t("col.since"), cell: (x) => time(x.created_at), cls: "opt" },
    { label: t("col.age"), cell: (x) => duration((Date.now() - new Date(x.created_at)) / 1000), cls: "num" },
  ];
}

async function renderExceptions(view, params, query) {
  const values = { status: query.get("status") || "open" };
  const holder = h("div");
  const message = h("p", { class: "message", role: "alert" });
  let list;
  const start = () => {
    list = showList(holder, list, message, {
      caption: t("exceptions.title"), columns: columns(), key: (x) => String(x.id),
      fetchPage: (cursor) => api("/api/v1/exceptions", { params: { ...values, cursor, limit: 50 } }),
    });
    return list.ready;
  };
  const status = h("select", { id: "f-status", name: "status" },
    STATUSES.map((s) => h("option", { value: s, selected: values.status === s }, t(`exceptions.status.${s}`))));
  status.addEventListener("change", () => { values.status = status.value; setQuery(values); start(); });
  fill(view, h("h1", {}, t("exceptions.title")), h("p", { class: "intro" }, t("exceptions.intro")),
    h("form", { class: "filters", onsubmit: (e) => e.preventDefault() },
      h("div", { class: "field" }, h("label", { for: "f-status" }, t("exceptions.filter.status")), status)),
    message, holder);
  await start();
  const refresh = async (event) => {
    const d = event.data || {};
    if (d.status && d.status !== values.status) { list.remove(String(d.id)); return; }
    const page = await api("/api/v1/exceptions", { params: { ...values, limit: 20 } }).catch(() => null);
    const item = page && page.items.find((x) => x.id === d.id);
    if (item) list.upsert(item);
  };
  const offs = [on("exception.opened", refresh), on("exception.resolved", refresh)];
  return () => { offs.forEach((off) => off()); list.stop(); };
}

route({ pattern: "/exceptions", nav: "nav.exceptions", permission: "read", render: renderExceptions });
