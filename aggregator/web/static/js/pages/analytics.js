// Analytics of one owner (aggregator/analytics): the cash cycle's legs, value in transit per day, stock
// ageing, demand and days of cover, exception resolution times and the resilience index with its parts —
// each a chart (SVG, saved as SVG or PNG) over the report's own table. Reads /api/v1/analytics/….
import { ApiError, api, session } from "../api.js";
import { barChart, exportPng, exportSvg, fmt, lineChart } from "../charts.js";
import { fill, h } from "../dom.js";
import { add, t } from "../i18n.js";
import { pickOwner } from "../owner_pick.js";
import { route, setQuery } from "../router.js";

add({
  "nav.analytics": ["Analytics", "分析"],
  "an.title": ["Analytics", "经营分析"],
  "an.intro": ["Cash cycle, stock and demand of {owner}.", "{owner} 的回款周期、库存与需求。"],
  "an.pick": ["Analytics are kept per owner: choose one.", "分析按货主进行：请选择货主。"],
  "an.period": ["Month", "月份"],
  "an.all": ["everything stored", "全部数据"],
  "an.svg": ["Save SVG", "保存 SVG"],
  "an.png": ["Save PNG", "保存 PNG"],
  "an.loading": ["Loading…", "加载中…"],
  "an.none": ["Nothing to show yet.", "暂无数据。"],
  "an.cash": ["Cash cycle: days per leg", "回款周期：各环节天数"],
  "an.transit": ["Units in transit and in all, per day", "每日在途与总件数"],
  "an.ageing": ["Stock on hand and slow-moving units per warehouse", "各仓在库与滞销件数"],
  "an.demand": ["Days of cover per SKU", "各 SKU 可售天数"],
  "an.expiry": ["Units per lot that will expire unsold", "各批次临期未售件数"],
  "an.at_risk": ["expire unsold", "临期未售"],
  "an.collab": ["Exception resolution, mean days by kind", "异常处理：各类平均天数"],
  "an.resilience": ["Resilience index and its parts", "业务韧性指数及其构成"],
  "an.history": ["Resilience index per month", "每月业务韧性指数"],
  "an.days": ["days", "天"],
  "an.units": ["units", "件"],
  "an.score": ["score", "得分"],
  "an.p50": ["p50", "中位数"],
  "an.p90": ["p90", "P90"],
  "an.in_transit": ["in transit", "在途"],
  "an.total": ["in all", "合计"],
  "an.on_hand": ["on hand", "在库"],
  "an.slow": ["slow-moving", "滞销"],
  "an.cover": ["days of cover", "可售天数"],
  "an.point": ["reorder point", "补货点"],
  "an.mean": ["mean days", "平均天数"],
  "an.index": ["index", "指数"],
  "an.part.elasticity": ["elasticity", "供应链响应弹性"],
  "an.part.inventory_health": ["inventory health", "库存健康度"],
  "an.part.demand_sensing": ["demand sensing", "需求感知准确度"],
  "an.part.collaboration": ["collaboration", "协同效率"],
});

/** A report table as objects keyed by column. */
function rows(report, name) {
  const table = report.tables[name];
  return table ? table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i]]))) : [];
}

const num = (v) => (v === null || v === undefined || v === "" ? null : Number(v));

const CHARTS = [
  { id: "cash-cycle", title: "an.cash", chart(report) {
    const legs = rows(report, "distribution").filter((r) => r.dimension === "owner");
    if (!legs.length) return null;
    return barChart({ title: t("an.cash"), unit: t("an.days"), labels: legs.map((r) => r.leg.replaceAll("_", " ")),
      series: [{ name: t("an.p50"), values: legs.map((r) => num(r.p50_days)) },
        { name: t("an.p90"), values: legs.map((r) => num(r.p90_days)) }] });
  } },
  { id: "in-transit", title: "an.transit", chart(report) {
    const byDay = new Map();
    for (const r of rows(report, "totals")) {
      const d = byDay.get(r.day) || { moving: 0, all: 0 };
      d.moving += num(r.in_transit_qty) || 0;
      d.all += num(r.total_qty) || 0;
      byDay.set(r.day, d);
    }
    if (!byDay.size) return null;
    const days = [...byDay.keys()].sort();
    return lineChart({ title: t("an.transit"), unit: t("an.units"), labels: days.map((d) => d.slice(5)),
      series: [{ name: t("an.in_transit"), values: days.map((d) => byDay.get(d).moving) },
        { name: t("an.total"), values: days.map((d) => byDay.get(d).all) }] });
  } },
  { id: "ageing", title: "an.ageing", chart(report) {
    const wh = rows(report, "summary").filter((r) => r.warehouse_code !== "ALL");
    if (!wh.length) return null;
    return barChart({ title: t("an.ageing"), unit: t("an.units"), labels: wh.map((r) => r.warehouse_code),
      series: [{ name: t("an.on_hand"), values: wh.map((r) => num(r.on_hand)) },
        { name: t("an.slow"), values: wh.map((r) => num(r.slow_units)) }] });
  } },
  { id: "expiry", title: "an.expiry", chart(report) {
    const dated = rows(report, "lots").filter((r) => r.status !== "NO_DATE").slice(0, 20);
    if (!dated.length) return null;
    return barChart({ title: t("an.expiry"), unit: t("an.units"), labels: dated.map((r) => r.lot_id),
      series: [{ name: t("an.on_hand"), values: dated.map((r) => num(r.on_hand)) },
        { name: t("an.at_risk"), values: dated.map((r) => num(r.at_risk)) }] });
  } },
  { id: "demand", title: "an.demand", chart(report) {
    const sold = rows(report, "demand").filter((r) => num(r.days_of_cover) !== null).slice(0, 24);
    if (!sold.length) return null;
    return barChart({ title: t("an.demand"), unit: t("an.days"), labels: sold.map((r) => r.sku),
      series: [{ name: t("an.cover"), values: sold.map((r) => Math.min(num(r.days_of_cover), 365)) },
        { name: t("an.point"), values: sold.map((r) => num(r.reorder_point_days)) }] });
  } },
  { id: "collaboration", title: "an.collab", chart(report) {
    const kinds = rows(report, "resolution").filter((r) => r.kind !== "ALL" && num(r.mean_days) !== null);
    if (!kinds.length) return null;
    return barChart({ title: t("an.collab"), unit: t("an.days"), labels: kinds.map((r) => r.kind),
      series: [{ name: t("an.mean"), values: kinds.map((r) => num(r.mean_days)) }] });
  } },
  { id: "resilience", title: "an.resilience", chart(report) {
    const parts = rows(report, "parts");
    const history = rows(report, "history");
    if (!history.length) return null;
    const box = h("div", { class: "chart-pair" });
    box.append(barChart({ title: `${t("an.resilience")}: ${fmt(num(history[history.length - 1].index))}/100`,
      unit: t("an.score"), labels: parts.map((p) => t(`an.part.${p.part}`)),
      series: [{ name: t("an.score"), values: parts.map((p) => num(p.score)) }] }));
    box.append(lineChart({ title: t("an.history"), unit: t("an.index"), max: 100, labels: history.map((r) => r.month),
      series: [{ name: t("an.index"), values: history.map((r) => num(r.index)) }] }));
    return box;
  } },
];

function card(spec, owner, period) {
  const body = h("div", { class: "chart-body" }, h("p", { class: "muted" }, t("an.loading")));
  const notes = h("p", { class: "muted" });
  const tools = h("div", { class: "chart-tools" });
  const holder = h("section", { class: "chart-card", id: `chart-${spec.id}`, aria: { labelledby: `h-${spec.id}` } },
    h("h2", { id: `h-${spec.id}` }, t(spec.title)), notes, body, tools);
  api(`/api/v1/analytics/${spec.id}`, { params: { period } }).then((report) => {
    notes.textContent = report.notes.join(" ");
    const chart = spec.chart(report);
    if (!chart) { fill(body, h("p", { class: "muted" }, t("an.none"))); return; }
    fill(body, chart);
    const svgs = chart.tagName.toLowerCase() === "svg" ? [chart] : [...chart.querySelectorAll("svg")];
    holder.dataset.rendered = "true";
    fill(tools, svgs.map((svg, i) => {
      const name = `${spec.id}-${owner}${period ? `-${period}` : ""}${svgs.length > 1 ? `-${i + 1}` : ""}`;
      return [h("button", { type: "button", class: "secondary", onclick: () => exportSvg(svg, name) }, t("an.svg")),
        h("button", { type: "button", class: "secondary", onclick: () => exportPng(svg, name) }, t("an.png"))];
    }));
  }).catch((error) => {
    const refused = error instanceof ApiError && error.status === 422;
    fill(body, h("p", { class: refused ? "muted" : "message", role: refused ? null : "alert" },
      refused ? error.message : t("error.load", { detail: error.message })));
  });
  return holder;
}


async function renderAnalytics(view, params, query) {
  const owner = session.scopeOwner();
  if (!owner) { pickOwner(view, t("an.title"), t("an.pick")); return; }
  const period = /^\d{4}-\d{2}$/.test(query.get("period") || "") ? query.get("period") : "";
  const month = h("input", { id: "f-period", name: "period", type: "month", value: period });
  const grid = h("div", { class: "chart-grid" });
  const draw = () => fill(grid, CHARTS.map((spec) => card(spec, owner, month.value || undefined)));
  month.addEventListener("change", () => { setQuery({ period: month.value }); draw(); });
  fill(view, h("h1", {}, t("an.title")), h("p", { class: "intro" }, t("an.intro", { owner })),
    h("form", { class: "filters", onsubmit: (e) => e.preventDefault() },
      h("div", { class: "field" }, h("label", { for: "f-period" }, t("an.period")), month,
        h("span", { class: "muted" }, ` ${t("an.all")}`))),
    grid);
  draw();
}

route({ pattern: "/analytics", nav: "nav.analytics", permission: "read_money", render: renderAnalytics });
