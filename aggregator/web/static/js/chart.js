// A time series drawn as inline SVG from data, with no library: lines or stacked areas, with what a
// person who cannot see it needs (role="img", a title and a summary, the same figures as a table behind
// "Show as a table"), saved as SVG or PNG by charts.js's exportSvg / exportPng (the analytics charts'
// module: bars and simple lines; this one adds stacking, exact decimal labels, notes and the table).
//
// Values arrive as the API's exact decimal strings; they become numbers only to place pixels. Every
// text a person reads (axis ticks, tooltips, the table) is formatted by the caller's format(value),
// which is given the exact string where there is one.
//
//   timeChart({title, summary, series: [{name, color, points: [{x: Date, y: "123.45", note?}]}], stacked,
//              format, yLabel}) → element   (a point with a note is drawn hollow, the note in its tooltip
//              and in the table)
import { exportPng, exportSvg } from "./charts.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const W = 760;
const H = 300;
const PAD = { top: 16, right: 24, bottom: 52, left: 76 };
export const PALETTE = ["#1d5fa8", "#9a5b00", "#0f766e", "#6d3fb0", "#146c2e", "#55606b", "#a11212", "#0b4a80"];

const svg = (tag, attrs, ...children) => h(`svg:${tag}`, attrs, ...children);

/** 0, 1, 2, 5 × 10^k steps: about `count` round ticks from 0 (or min) to max. */
export function niceTicks(min, max, count = 5) {
  if (!(max > min)) return [min, min + 1];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const start = Math.floor(min / step) * step;
  const ticks = [];
  for (let v = start; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

/** About `count` dates spread over [first, last] (the data's own instants, so each tick is a point). */
function timeTicks(xs, count = 6) {
  if (xs.length <= count) return xs;
  const every = Math.ceil((xs.length - 1) / (count - 1));
  const out = xs.filter((_, i) => i % every === 0);
  if (out[out.length - 1] !== xs[xs.length - 1]) out.push(xs[xs.length - 1]);
  return out;
}

const pad2 = (n) => String(n).padStart(2, "0");
export const dayText = (d) => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;

function frame(title, summary, body, table) {
  const id = `c${Math.random().toString(36).slice(2, 9)}`;
  const picture = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "chart-svg", width: W, height: H,
    aria: { labelledby: `${id}-t ${id}-d` }, xmlns: "http://www.w3.org/2000/svg",
    "font-family": "system-ui, sans-serif", "font-size": "12" },
  svg("title", { id: `${id}-t` }, title), svg("desc", { id: `${id}-d` }, summary),
  svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#ffffff" }), body);
  const tableBox = h("div", { class: "chart-table", hidden: true }, table);
  const toggle = h("button", { type: "button", class: "secondary", aria: { expanded: "false" } }, t("export.table"));
  toggle.addEventListener("click", () => {
    const showTable = tableBox.hidden;
    tableBox.hidden = !showTable;
    picture.style.display = showTable ? "none" : "";
    toggle.textContent = showTable ? t("export.chart") : t("export.table");
    toggle.setAttribute("aria-expanded", String(showTable));
  });
  const name = title.replace(/[^\w\u4e00-\u9fff-]+/g, "_").slice(0, 60) || "chart";
  const tools = h("div", { class: "chart-tools" }, toggle,
    h("button", { type: "button", class: "secondary", onclick: () => exportSvg(picture, name) }, t("export.svg")),
    h("button", { type: "button", class: "secondary", onclick: () => exportPng(picture, name) }, t("export.png")));
  return h("figure", { class: "chart" }, h("figcaption", {}, title), picture, tableBox, tools);
}

function yAxis(ticks, y, format, label) {
  return [
    ticks.map((v) => svg("g", {},
      svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), stroke: "#d5dde5" }),
      svg("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", fill: "#4d5b69" }, format(String(v))))),
    label ? svg("text", { x: 12, y: PAD.top + (H - PAD.top - PAD.bottom) / 2, fill: "#4d5b69",
      transform: `rotate(-90 12 ${PAD.top + (H - PAD.top - PAD.bottom) / 2})`, "text-anchor": "middle" }, label) : null,
  ];
}

/** Lines (or stacked areas) over time. series[i].points share their x values (the API's instants). */
export function timeChart({ title, summary, series, stacked = false, format = (v) => v, yLabel = "" }) {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x.getTime())))].sort((a, b) => a - b);
  const valueAt = series.map((s) => new Map(s.points.map((p) => [p.x.getTime(), p.y])));
  const notes = series.map((s) => new Map(s.points.filter((p) => p.note).map((p) => [p.x.getTime(), p.note])));
  const num = (v) => (v === undefined || v === null ? 0 : Number(v));
  const base = xs.map(() => 0);
  const layers = series.map((s, i) => {
    const lower = [...base];
    const upper = xs.map((x, j) => (stacked ? base[j] : 0) + num(valueAt[i].get(x)));
    if (stacked) upper.forEach((v, j) => { base[j] = v; });
    return { s, lower: stacked ? lower : xs.map(() => 0), upper };
  });
  const top = Math.max(0, ...layers.flatMap((l) => l.upper));
  const bottom = Math.min(0, ...layers.flatMap((l) => l.upper));
  const ticks = niceTicks(bottom, top || 1);
  const [y0, y1] = [ticks[0], ticks[ticks.length - 1]];
  const x = (ms) => (xs.length === 1 ? (PAD.left + W - PAD.right) / 2
    : PAD.left + ((ms - xs[0]) / (xs[xs.length - 1] - xs[0])) * (W - PAD.left - PAD.right));
  const y = (v) => H - PAD.bottom - ((v - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const shapes = layers.map(({ s, lower, upper }, i) => {
    const color = s.color || PALETTE[i % PALETTE.length];
    const line = xs.map((ms, j) => `${j ? "L" : "M"}${x(ms).toFixed(1)},${y(upper[j]).toFixed(1)}`).join("");
    const back = xs.map((ms, j) => `L${x(xs[xs.length - 1 - j]).toFixed(1)},${y(lower[xs.length - 1 - j]).toFixed(1)}`).join("");
    return svg("g", { class: "series", dataset: { name: s.name } },
      stacked ? svg("path", { d: `${line}${back}Z`, fill: color, "fill-opacity": "0.35", stroke: "none" }) : null,
      svg("path", { d: line, fill: "none", stroke: color, "stroke-width": 2 }),
      xs.map((ms, j) => {
        const note = notes[i].get(ms);
        return svg("circle", { cx: x(ms), cy: y(upper[j]), r: note ? 4 : 3, fill: note ? "#ffffff" : color,
          stroke: color, "stroke-width": note ? 2 : 0, class: note ? "noted" : null },
        svg("title", {}, `${s.name} · ${dayText(new Date(ms))}: ${format(valueAt[i].get(ms) ?? "0")}${note ? ` (${note})` : ""}`));
      }));
  });
  const body = [
    yAxis(ticks, y, format, yLabel),
    svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), stroke: "#8796a5" }),
    timeTicks(xs).map((ms, i, ticks) => svg("text", { x: x(ms), y: H - PAD.bottom + 18, fill: "#4d5b69",
      "text-anchor": ticks.length > 1 && i === 0 ? "start" : ticks.length > 1 && i === ticks.length - 1 ? "end" : "middle" },
    dayText(new Date(ms)))),
    shapes,
    legendSvg(series),
  ];
  const table = h("table", {}, h("caption", { class: "sr-only" }, title),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("chart.date")),
      series.map((s) => h("th", { scope: "col", class: "num" }, s.name)))),
    h("tbody", {}, xs.map((ms) => h("tr", {}, h("th", { scope: "row" }, dayText(new Date(ms))),
      series.map((s, i) => h("td", { class: "num" }, format(valueAt[i].get(ms) ?? "0"),
        notes[i].get(ms) ? h("small", { class: "warn-text" }, ` (${notes[i].get(ms)})`) : null))))));
  return frame(title, summary, body, h("div", { class: "table-wrap" }, table));
}

function legendSvg(series) {
  let at = PAD.left;
  return svg("g", { class: "legend" }, series.map((s, i) => {
    const color = s.color || PALETTE[i % PALETTE.length];
    const g = svg("g", { transform: `translate(${at},${H - 8})` },
      svg("rect", { x: 0, y: -9, width: 10, height: 10, fill: color }),
      svg("text", { x: 14, y: 0, fill: "#17212b" }, s.name));
    at += 24 + s.name.length * 7;
    return g;
  }));
}
