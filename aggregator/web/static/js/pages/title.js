// Title in transit: what each owner holds title to, by stage of the journey (on the water, at port and
// in customs, in warehouse, in last mile), valued at cost in the owner's base currency — now, as a table
// owner × stage, and over time, as a chart per owner (chart.js). A stage's cell opens its detail: the
// title and location states behind it, who holds title, the rate path, and the lots (and allocations)
// behind it, each a link to its lot page (its receipts, and from there its container and bill of lading).
// Reads GET /api/v1/title/position (at, detail), /title/series (from, to, step) and /title/holdings.
import { api } from "../api.js";
import { decimal, fill, h, money, table, time } from "../dom.js";
import { add, t } from "../i18n.js";
import { on } from "../live.js";
import { route, setQuery } from "../router.js";
import { dayText, timeChart } from "../chart.js";
import { lotHref } from "../records.js";

export const STAGES = ["ON_THE_WATER", "AT_PORT_AND_CUSTOMS", "IN_WAREHOUSE", "IN_LAST_MILE", "DELIVERED", "OTHER"];
const HELD = ["ON_THE_WATER", "AT_PORT_AND_CUSTOMS", "IN_WAREHOUSE", "IN_LAST_MILE", "OTHER"];
export const STAGE_COLOR = { ON_THE_WATER: "#1d5fa8", AT_PORT_AND_CUSTOMS: "#9a5b00", IN_WAREHOUSE: "#0f766e",
  IN_LAST_MILE: "#6d3fb0", DELIVERED: "#146c2e", OTHER: "#55606b" };
const STEPS = ["day", "week", "month"];

add({
  "title.intro": [
    "Goods each owner holds title to, by stage of the journey, valued at cost in the owner's base currency at the rate of the day. Choose a cell to see what is behind it.",
    "各货主拥有所有权的货物，按运输阶段、以成本按当日汇率折算为货主记账本位币。点击单元格查看明细。",
  ],
  "title.at": ["Position at", "时点"],
  "title.from": ["Series from", "序列自"],
  "title.to": ["to", "至"],
  "title.step": ["Every", "间隔"],
  "title.step.day": ["day", "天"],
  "title.step.week": ["week", "周"],
  "title.step.month": ["month", "月"],
  "title.show": ["Show", "显示"],
  "title.now": ["Position", "头寸"],
  "title.over": ["Over time", "走势"],
  "title.owner": ["Owner", "货主"],
  "title.total": ["Total held", "所有权合计"],
  "title.others": ["Held by others", "他人持有"],
  "title.unvalued": ["{n} unit(s) without a cost", "{n} 件无成本"],
  "title.units": ["{n} units", "{n} 件"],
  "title.chart": ["Title held by {owner} ({ccy})", "{owner} 持有的货值（{ccy}）"],
  "title.chart.summary": [
    "Value held by {owner} per stage from {from} to {to}; last point: {last} {ccy} in total.",
    "{owner} 自 {from} 至 {to} 各阶段的货值；最后一点合计 {last} {ccy}。",
  ],
  "title.empty": [
    "No title events at this instant (matching has not run, or nothing was shipped yet).",
    "该时点没有所有权事件（尚未匹配，或尚未发货）。",
  ],
  "title.detail": ["{owner} · {stage}", "{owner} · {stage}"],
  "title.detail.close": ["Close", "关闭"],
  "title.holder": ["Title holder", "所有权人"],
  "title.state": ["Title state", "所有权状态"],
  "title.location": ["Location", "位置"],
  "title.rate": ["Rate path", "汇率路径"],
  "title.unconverted": ["Not converted", "未折算"],
  "title.unconverted.short": ["part not converted (no rate)", "部分未折算（无汇率）"],
  "title.lots": ["Lots behind it", "对应批次"],
  "title.lots.cut": ["The {n} largest are shown.", "仅显示数量最大的 {n} 项。"],
  "title.subject": ["Held as", "形态"],
  "title.subject.LOT": ["lot stock", "批次库存"],
  "title.subject.ALLOCATION": ["allocated to an order", "已分配给订单"],
  "title.unit": ["Unit cost", "单位成本"],
  "title.evidence": ["Basis and evidence", "依据与证据"],
  "title.since": ["Since", "起始"],
  "stage.ON_THE_WATER": ["On the water", "海上 / 空中"],
  "stage.AT_PORT_AND_CUSTOMS": ["At port / customs", "港口 / 海关"],
  "stage.IN_WAREHOUSE": ["In warehouse", "在仓"],
  "stage.IN_LAST_MILE": ["In last mile", "末端配送"],
  "stage.DELIVERED": ["Delivered", "已妥投"],
  "stage.OTHER": ["Other", "其他"],
  "stage.TOTAL": ["Total", "合计"],
  "chart.date": ["Date", "日期"],
});

const DAY = 86400000;
const isoDay = (d) => dayText(d);

/** The end of a YYYY-MM-DD day in the browser's zone, as an instant with an offset (for the API). */
function endOfDay(text) {
  const d = new Date(`${text}T23:59:59`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function startOfDay(text) {
  const d = new Date(`${text}T00:00:00`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function owners(rows) { return [...new Set(rows.map((r) => r.owner_id))].sort(); }

/** owner × stage: the value the owner holds title to; others' holdings in a row of their own. */
function positionTable(rows, choose) {
  const held = (o, s) => rows.find((r) => r.owner_id === o && r.stage === s && r.title_holder === o);
  const cell = (o, s) => {
    const r = held(o, s);
    if (!r) return h("span", { class: "muted" }, t("none"));
    return h("button", { type: "button", class: "cell-link", onclick: () => choose(o, s),
      aria: { label: `${o} · ${t(`stage.${s}`)}: ${decimal(r.value)} ${r.currency}` } },
    money(r.value, r.currency), h("small", { class: "muted" }, ` ${t("title.units", { n: r.qty })}`),
    r.unvalued_qty ? h("small", { class: "warn-text" }, ` · ${t("title.unvalued", { n: r.unvalued_qty })}`) : null,
    r.unconverted ? h("small", { class: "warn-text", title: r.unconverted }, ` · ${t("title.unconverted.short")}`) : null);
  };
  const others = (o) => rows.filter((r) => r.owner_id === o && r.title_holder !== o && r.stage !== "TOTAL");
  return table([
    { label: t("title.owner"), cell: (o) => h("strong", {}, o) },
    ...HELD.map((s) => ({ label: t(`stage.${s}`), cell: (o) => cell(o, s), cls: "num" })),
    { label: t("stage.TOTAL"), cell: (o) => cell(o, "TOTAL"), cls: "num" },
    { label: t("title.others"), cell: (o) => (others(o).length ? h("ul", { class: "plain" }, others(o).map((r) =>
      h("li", {}, h("button", { type: "button", class: "cell-link", onclick: () => choose(o, r.stage) },
        `${r.title_holder} · ${t(`stage.${r.stage}`)}: `, money(r.value, r.currency))))) : t("none")), cls: "opt" },
  ], owners(rows), { caption: t("title.now"), rowAttrs: (o) => ({ dataset: { owner: o } }) });
}

function detailTable(rows) {
  return table([
    { label: t("title.holder"), cell: (r) => r.title_holder },
    { label: t("title.state"), cell: (r) => r.title_state || t("none") },
    { label: t("title.location"), cell: (r) => r.location_state || t("none") },
    { label: t("col.qty"), cell: (r) => r.qty, cls: "num" },
    { label: t("col.total"), cell: (r) => money(r.value, r.currency), cls: "num" },
    { label: t("title.rate"), cell: (r) => r.rate_path || t("none"), cls: "wrap opt" },
    { label: t("title.unconverted"), cell: (r) => r.unconverted || t("none"), cls: "opt" },
  ], rows, { caption: t("title.detail", { owner: rows[0]?.owner_id || "", stage: "" }) });
}

/** The lots (and allocations) behind a cell: where each is, who holds title, why, and its unit cost. */
function holdingsTable(items) {
  return table([
    { label: t("rc.lot"), cell: (x) => (x.warehouse_code
      ? h("a", { href: lotHref(x.owner_id, x.warehouse_code, x.lot_id) }, x.lot_id) : x.lot_id), cls: "id" },
    { label: t("title.subject"), cell: (x) => t(`title.subject.${x.subject_kind}`), cls: "opt" },
    { label: t("col.qty"), cell: (x) => x.qty, cls: "num" },
    { label: t("title.holder"), cell: (x) => x.title_holder },
    { label: t("title.location"), cell: (x) => x.location_state },
    { label: t("title.unit"), cell: (x) => (x.unit_value === null ? t("none") : money(x.unit_value, x.currency)), cls: "num" },
    { label: t("title.evidence"), cell: (x) => [x.basis, x.evidence ? h("small", { class: "muted" }, ` ${x.evidence}`) : null], cls: "wrap opt" },
    { label: t("title.since"), cell: (x) => time(x.effective_at), cls: "opt" },
  ], items, { caption: t("title.lots") });
}

/** One chart per owner: the value it holds in each stage, stacked, at every point of the series. */
function charts(points, from, to) {
  const all = points.flatMap((p) => p.rows);
  return owners(all).map((owner) => {
    const mine = (p, s) => p.rows.find((r) => r.owner_id === owner && r.stage === s && r.title_holder === owner);
    const ccy = (all.find((r) => r.owner_id === owner) || {}).currency || "";
    const series = HELD.filter((s) => points.some((p) => mine(p, s))).map((s) => ({
      name: t(`stage.${s}`), color: STAGE_COLOR[s],
      points: points.map((p) => ({ x: new Date(p.at), y: mine(p, s)?.value ?? "0",
        note: mine(p, s)?.unconverted ? t("title.unconverted.short") : undefined })),
    }));
    const last = mine(points[points.length - 1], "TOTAL");
    return h("div", { class: "chart-owner", dataset: { owner } }, timeChart({
      title: t("title.chart", { owner, ccy }),
      summary: t("title.chart.summary", { owner, from, to, last: last ? decimal(last.value) : "0", ccy }),
      series, stacked: true, format: (v) => decimal(roundText(v)), yLabel: ccy,
    }));
  });
}

/** A decimal string cut to at most 2 decimals for axis labels and tooltips (the table keeps them all). */
function roundText(v) {
  const text = String(v);
  const [whole, fraction] = text.split(".");
  return fraction && fraction.length > 2 ? `${whole}.${fraction.slice(0, 2)}` : text;
}

async function renderTitle(view, params, query, current) {
  const today = new Date();
  const values = {
    at: query.get("at") || isoDay(today),
    from: query.get("from") || isoDay(new Date(today.getTime() - 90 * DAY)),
    to: query.get("to") || isoDay(today),
    step: STEPS.includes(query.get("step")) ? query.get("step") : "week",
  };
  const message = h("p", { class: "message", role: "alert" });
  const now = h("div");
  const detail = h("div", { class: "drill", aria: { live: "polite" } });
  const over = h("div", { class: "charts" });
  const input = (name, type = "date") => h("input", { id: `t-${name}`, name, type, value: values[name], required: true });
  const form = h("form", { class: "filters" },
    h("div", { class: "field" }, h("label", { for: "t-at" }, t("title.at")), input("at")),
    h("div", { class: "field" }, h("label", { for: "t-from" }, t("title.from")), input("from")),
    h("div", { class: "field" }, h("label", { for: "t-to" }, t("title.to")), input("to")),
    h("div", { class: "field" }, h("label", { for: "t-step" }, t("title.step")),
      h("select", { id: "t-step", name: "step" }, STEPS.map((s) => h("option", { value: s, selected: s === values.step }, t(`title.step.${s}`))))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("title.show"))));
  fill(view, h("h1", {}, t("title.title")), h("p", { class: "intro" }, t("title.intro")), form, message,
    h("section", { aria: { labelledby: "s-now" } }, h("h2", { id: "s-now" }, t("title.now")), now, detail),
    h("section", { aria: { labelledby: "s-over" } }, h("h2", { id: "s-over" }, t("title.over")), over));

  const choose = async (owner, stage) => {
    const at = endOfDay(values.at);
    const scope = { owner };
    try {
      const [answer, behind] = await Promise.all([
        api("/api/v1/title/position", { params: { at, detail: "true" }, ...scope }),
        api("/api/v1/title/holdings", { params: { at, stage: stage === "TOTAL" ? undefined : stage, limit: 500 }, ...scope }),
      ]);
      const rows = answer.rows.filter((r) => r.owner_id === owner && (stage === "TOTAL"
        ? r.stage !== "TOTAL" && r.title_holder === owner : r.stage === stage));
      const lots = behind.items.filter((x) => x.owner_id === owner && (stage !== "TOTAL" || x.title_holder === owner));
      const close = h("button", { type: "button", class: "secondary", onclick: () => fill(detail) }, t("title.detail.close"));
      fill(detail, h("h3", { tabindex: "-1" }, t("title.detail", { owner, stage: t(`stage.${stage}`) })),
        detailTable(rows),
        h("h4", {}, t("title.lots")), lots.length ? holdingsTable(lots) : h("p", { class: "muted" }, t("list.empty")),
        behind.truncated ? h("p", { class: "muted" }, t("title.lots.cut", { n: behind.items.length })) : null,
        close);
      detail.querySelector("h3").focus();
    } catch (error) {
      message.textContent = t("error.load", { detail: error.message });
    }
  };

  const load = async () => {
    message.textContent = "";
    const at = endOfDay(values.at);
    const from = startOfDay(values.from);
    const to = endOfDay(values.to);
    if (!at || !from || !to) { message.textContent = t("error.load", { detail: "date" }); return; }
    try {
      const [position, series] = await Promise.all([
        api("/api/v1/title/position", { params: { at } }),
        api("/api/v1/title/series", { params: { from, to, step: values.step } }),
      ]);
      if (!current()) return;
      fill(now, position.rows.length ? positionTable(position.rows, choose) : h("p", { class: "muted" }, t("title.empty")));
      fill(detail);
      fill(over, series.points.some((p) => p.rows.length) ? charts(series.points, values.from, values.to)
        : h("p", { class: "muted" }, t("title.empty")));
    } catch (error) {
      message.textContent = t("error.load", { detail: error.message });
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    Object.assign(values, Object.fromEntries(new FormData(form).entries()));
    setQuery(values);
    load();
  });
  await load();
  // a new title event (goods on board, released, received, dispatched) moves the position: read it again
  let timer = null;
  const off = on("title.changed", () => { clearTimeout(timer); timer = setTimeout(load, 500); });
  return () => { off(); clearTimeout(timer); };
}

route({ pattern: "/title", nav: "nav.title", permission: "read", render: renderTitle });
