// Charts as plain SVG built with h("svg:…") (no library, no markup from data): bars, grouped bars and lines,
// each with its title, axis ticks and a legend, every colour and font an attribute of the SVG itself so
// the chart saves as a standalone file. exportSvg / exportPng hand the chart to the browser as a file
// (PNG drawn from the SVG on a canvas at twice the size).
import { h } from "./dom.js";

export const PALETTE = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f", "#718096"];
const FONT = { "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans CJK SC', sans-serif", "font-size": 12 };
const W = 640;
const PAD = { left: 56, right: 16, top: 36, bottom: 56 };

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function frame(title, height, label) {
  const svg = h("svg:svg", { xmlns: "http://www.w3.org/2000/svg", viewBox: `0 0 ${W} ${height}`, width: W, height,
    role: "img", "aria-label": label || title, class: "chart", ...FONT });
  svg.append(h("svg:rect", { x: 0, y: 0, width: W, height, fill: "#ffffff" }),
    h("svg:text", { x: PAD.left, y: 20, "font-size": 14, "font-weight": "bold", fill: "#1a202c" }, title));
  return svg;
}

function yAxis(svg, max, height, unit) {
  const inner = height - PAD.top - PAD.bottom;
  for (let i = 0; i <= 4; i += 1) {
    const value = (max * i) / 4;
    const y = PAD.top + inner - (inner * i) / 4;
    svg.append(h("svg:line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, stroke: i ? "#e2e8f0" : "#4a5568" }),
      h("svg:text", { x: PAD.left - 6, y: y + 4, "text-anchor": "end", fill: "#4a5568" }, fmt(value)));
  }
  if (unit) svg.append(h("svg:text", { x: 8, y: PAD.top - 8, fill: "#4a5568" }, unit));
  return inner;
}

function legend(svg, names, height) {
  let x = PAD.left;
  names.forEach((name, i) => {
    svg.append(h("svg:rect", { x, y: height - 16, width: 10, height: 10, fill: PALETTE[i % PALETTE.length] }),
      h("svg:text", { x: x + 14, y: height - 7, fill: "#1a202c" }, name));
    x += 24 + 7 * String(name).length;
  });
}

export function fmt(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const abs = Math.abs(value);
  if (abs === 0) return "0";
  return abs >= 1000 ? Math.round(value).toLocaleString("en") : abs >= 10 ? value.toFixed(0) : value.toFixed(abs >= 1 ? 1 : 2);
}

/** Grouped vertical bars: labels on x, one bar per series in each group. */
export function barChart({ title, labels, series, unit, label }) {
  const height = 300;
  const svg = frame(title, height, label);
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null && !Number.isNaN(v)))));
  const inner = yAxis(svg, max, height, unit);
  const slot = (W - PAD.left - PAD.right) / Math.max(1, labels.length);
  const bar = Math.max(2, Math.min(28, (slot * 0.8) / series.length));
  labels.forEach((text, i) => {
    const x0 = PAD.left + slot * i + (slot - bar * series.length) / 2;
    series.forEach((s, j) => {
      const v = s.values[i];
      if (v === null || v === undefined || Number.isNaN(v)) return;
      const hgt = (inner * Math.max(0, v)) / max;
      svg.append(h("svg:rect", { x: x0 + bar * j, y: PAD.top + inner - hgt, width: bar - 1, height: hgt,
        fill: PALETTE[j % PALETTE.length], class: "bar", dataset: { value: v } },
      h("svg:title", {}, `${text} · ${s.name}: ${fmt(v)}`)));
    });
    const short = String(text).length > 14 ? `${String(text).slice(0, 13)}…` : String(text);
    svg.append(h("svg:text", { x: PAD.left + slot * i + slot / 2, y: PAD.top + inner + 14, "text-anchor": "middle",
      fill: "#4a5568", "font-size": labels.length > 8 ? 9 : 11 }, short));
  });
  legend(svg, series.map((s) => s.name), height);
  return svg;
}

/** Lines over x labels (days, months). */
export function lineChart({ title, labels, series, unit, label, max: fixedMax }) {
  const height = 300;
  const svg = frame(title, height, label);
  const max = fixedMax || niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null && !Number.isNaN(v)))));
  const inner = yAxis(svg, max, height, unit);
  const width = W - PAD.left - PAD.right;
  const x = (i) => PAD.left + (labels.length > 1 ? (width * i) / (labels.length - 1) : width / 2);
  series.forEach((s, j) => {
    const points = s.values.map((v, i) => (v === null || Number.isNaN(v) ? null : `${x(i).toFixed(1)},${(PAD.top + inner - (inner * v) / max).toFixed(1)}`))
      .filter(Boolean);
    if (!points.length) return;
    svg.append(h("svg:polyline", { points: points.join(" "), fill: "none", stroke: PALETTE[j % PALETTE.length],
      "stroke-width": 2, class: "line", dataset: { points: points.length } }));
    if (points.length === 1) {
      const [px, py] = points[0].split(",");
      svg.append(h("svg:circle", { cx: px, cy: py, r: 4, fill: PALETTE[j % PALETTE.length], class: "dot" }));
    }
  });
  const every = Math.max(1, Math.ceil(labels.length / 8));
  labels.forEach((text, i) => {
    if (i % every && i !== labels.length - 1) return;
    const anchor = labels.length > 1 && i === labels.length - 1 ? "end" : labels.length > 1 && i === 0 ? "start" : "middle";
    svg.append(h("svg:text", { x: x(i), y: PAD.top + inner + 14, "text-anchor": anchor, fill: "#4a5568", "font-size": 10 }, text));
  });
  legend(svg, series.map((s) => s.name), height);
  return svg;
}

export function svgText(svg) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(svg)}`;
}

function save(blob, name) {
  const a = h("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

export function exportSvg(svg, name) {
  save(new Blob([svgText(svg)], { type: "image/svg+xml" }), `${name}.svg`);
}

/** The chart as PNG bytes (a Blob), drawn from its SVG at twice the size. */
export function pngBlob(svg) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    const source = URL.createObjectURL(new Blob([svgText(svg)], { type: "image/svg+xml" }));
    image.onload = () => {
      const canvas = h("canvas", { width: Number(svg.getAttribute("width") || W) * 2,
        height: Number(svg.getAttribute("height")) * 2 });
      const context = canvas.getContext("2d");
      context.scale(2, 2);
      context.drawImage(image, 0, 0);
      URL.revokeObjectURL(source);
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no PNG"))), "image/png");
    };
    image.onerror = () => { URL.revokeObjectURL(source); reject(new Error("the chart could not be drawn")); };
    image.src = source;
  });
}

export async function exportPng(svg, name) {
  save(await pngBlob(svg), `${name}.png`);
}
