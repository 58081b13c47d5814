// Sync runs: when each started and finished, how long it took, what it counted and why it failed;
// keyset pages, filters by status and stream, finished runs arriving live.
import { api } from "../api.js";
import { duration, fill, h, pill, time } from "../dom.js";
import { t } from "../i18n.js";
import { on } from "../live.js";
import { showList } from "../paged.js";
import { route, setQuery } from "../router.js";

const STATUSES = ["running", "succeeded", "partial", "failed", "abandoned"];
const STREAMS = ["orders", "settlements", "returns"];

function seconds(run) {
  if (!run.finished_at) return null;
  return (new Date(run.finished_at) - new Date(run.started_at)) / 1000;
}

function columns() {
  return [
    { label: t("col.id"), cell: (r) => r.id, cls: "num" },
    { label: t("col.shop"), cell: (r) => `${r.platform}:${r.shop_id}` },
    { label: t("col.owner"), cell: (r) => r.owner_id, cls: "opt" },
    { label: t("col.stream"), cell: (r) => r.stream },
    { label: t("col.status"), cell: (r) => pill("run", r.status) },
    { label: t("col.started"), cell: (r) => time(r.started_at, { seconds: true }) },
    { label: t("col.finished"), cell: (r) => time(r.finished_at, { seconds: true }), cls: "opt" },
    { label: t("col.duration"), cell: (r) => (r.finished_at ? duration(seconds(r)) : t("none")), cls: "num" },
    { label: t("col.created"), cell: (r) => r.created, cls: "num" },
    { label: t("col.changed"), cell: (r) => r.updated, cls: "num" },
    { label: t("col.unchanged"), cell: (r) => r.unchanged, cls: "num opt" },
    { label: t("col.failed"), cell: (r) => r.failed, cls: "num" },
    { label: t("col.unknown"), cell: (r) => r.unknown_status, cls: "num opt" },
    { label: t("col.deferred"), cell: (r) => r.deferred, cls: "num opt" },
    { label: t("col.error"), cell: (r) => (r.error ? h("span", { class: "error-text" }, r.error) : ""), cls: "wrap" },
  ];
}

async function renderRuns(view, params, query) {
  const values = { status: query.get("status") || "", stream: query.get("stream") || "" };
  const holder = h("div");
  const message = h("p", { class: "message", role: "alert" });
  let list;
  const start = () => {
    list = showList(holder, list, message, {
      caption: t("runs.title"), columns: columns(), key: (r) => r.id,
      rowAttrs: (r) => ({ class: r.status === "failed" ? "row-bad" : null }),
      fetchPage: (cursor) => api("/api/v1/runs", { params: { ...values, cursor, limit: 50 } }),
    });
    return list.ready;
  };
  const choose = (name, options, family) => {
    const sel = h("select", { id: `f-${name}`, name },
      h("option", { value: "" }, t("orders.filter.any")),
      options.map((o) => h("option", { value: o, selected: values[name] === o }, family ? t(`${family}.${o}`) : o)));
    sel.addEventListener("change", () => { values[name] = sel.value; setQuery(values); start(); });
    return h("div", { class: "field" }, h("label", { for: `f-${name}` }, t(`runs.filter.${name}`)), sel);
  };
  fill(view, h("h1", {}, t("runs.title")),
    h("form", { class: "filters", onsubmit: (e) => e.preventDefault() }, choose("status", STATUSES, "run"), choose("stream", STREAMS)),
    message, holder);
  await start();
  const off = on("run.finished", async (event) => {
    const d = event.data;
    if ((values.status && d.status !== values.status) || (values.stream && d.stream !== values.stream)) return;
    const page = await api("/api/v1/runs", { params: { ...values, limit: 5 } }).catch(() => null);
    const run = page && page.items.find((r) => r.id === d.run_id);
    if (run) list.upsert(run);
  });
  return () => { off(); list.stop(); };
}

route({ pattern: "/runs", nav: "nav.runs", permission: "read", render: renderRuns });
