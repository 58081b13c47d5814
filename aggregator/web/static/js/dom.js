// Building blocks of every page: elements without innerHTML (no markup is ever built from data),
// formatting of times, durations, amounts and statuses, and tables.
import { code, locale, t } from "./i18n.js";

/** h("a", {href, class, onclick, dataset: {...}, aria: {...}}, child, ...): an element. */
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith("svg:");
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "aria") for (const [k, v] of Object.entries(value)) el.setAttribute(`aria-${k}`, v);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// ---- formatting ---------------------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, "0");

/** "2026-11-12 21:57" in the browser's zone, with the UTC instant in a tooltip. */
export function time(iso, { seconds = false } = {}) {
  if (!iso) return h("span", { class: "muted" }, t("none"));
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h("span", {}, iso);
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
    + (seconds ? `:${pad(d.getSeconds())}` : "");
  return h("time", { datetime: d.toISOString(), title: `${d.toISOString().replace(".000Z", "Z")} (UTC)` }, text);
}

/** A date only ("2026-10-16"), for document dates that carry no time. */
export function day(iso) {
  if (!iso) return h("span", { class: "muted" }, t("none"));
  return h("time", { datetime: iso }, String(iso).slice(0, 10));
}

/** "3 d 4 h", "12 min", "45 s" (the two largest units). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return t("none");
  let s = Math.max(0, Math.round(Math.abs(seconds)));
  const parts = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]]) {
    if (s >= size || (unit === "s" && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)} ${unit}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** Seconds from now to iso (negative: in the past). */
export function secondsUntil(iso, now = Date.now()) {
  return (new Date(iso).getTime() - now) / 1000;
}

/** "5 min ago" / "in 3 d" relative to now. */
export function relative(iso, now = Date.now()) {
  const s = secondsUntil(iso, now);
  return s < 0 ? t("ago", { t: duration(-s) }) : t("in", { t: duration(s) });
}

/** An exact decimal string grouped by thousands ("1234567.50" → "1,234,567.50"), never through a float. */
export function decimal(value) {
  if (value === null || value === undefined || value === "") return "";
  const text = String(value);
  const negative = text.startsWith("-");
  const [whole, fraction] = text.replace(/^[-+]/, "").split(".");
  const sep = locale().startsWith("zh") ? "," : ",";
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  return (negative ? "-" : "") + grouped + (fraction !== undefined ? `.${fraction}` : "");
}

/** The exact sum of decimal strings ("1.10" + "-0.005" → "1.095"), through BigInt, never a float. */
export function sumDecimals(values) {
  const parts = values.filter((v) => v !== null && v !== undefined && v !== "").map(String);
  const scale = Math.max(0, ...parts.map((v) => (v.split(".")[1] || "").length));
  let total = 0n;
  for (const v of parts) {
    const negative = v.startsWith("-");
    const [whole, fraction = ""] = v.replace(/^[-+]/, "").split(".");
    const units = BigInt(whole || "0") * 10n ** BigInt(scale) + BigInt((fraction.padEnd(scale, "0")) || "0");
    total += negative ? -units : units;
  }
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, "0");
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

// ISO 4217 minor units of the currencies that have not 2, as the server knows them (/api/v1/me).
let MINOR_UNITS = {};

/** Take the server's table of minor units (``minor_units`` of /api/v1/me). */
export function useMinorUnits(table) {
  MINOR_UNITS = table || {};
}

function minorUnits(currency) {
  return Object.hasOwn(MINOR_UNITS, currency) ? MINOR_UNITS[currency] : 2;
}

/** An exact amount written with its currency's minor units ("873000.0" VND → "873000", "12.5" USD → "12.50"):
 * zeros past them dropped, missing ones added, finer non-zero digits kept — as the server's
 * fx.display.format_amount does; never through a float. */
export function amountText(amount, currency) {
  const text = String(amount);
  const digits = currency ? minorUnits(currency) : null;
  if (digits === null || !/^[-+]?\d+(\.\d*)?$/.test(text)) return text;
  const [whole, fraction = ""] = text.split(".");
  const kept = fraction.replace(/0+$/, "").padEnd(digits, "0");
  const written = kept ? `${whole}.${kept}` : whole;
  return /^-0(\.0*)?$/.test(written) ? written.slice(1) : written; // no "-0" (as the server writes a zero)
}

export function money(amount, currency) {
  if (amount === null || amount === undefined) return h("span", { class: "muted" }, t("none"));
  return h("span", { class: "money" }, decimal(amountText(amount, currency)), " ", h("abbr", { class: "ccy" }, currency || ""));
}

/** A page section: its heading (id) labels it. */
export function section(id, title, ...children) {
  return h("section", { aria: { labelledby: id } }, h("h2", { id }, title), ...children);
}

/** A short message in the page's toast (shown by main.js). */
export function toast(text) {
  window.dispatchEvent(new CustomEvent("toast", { detail: text }));
}

/** A status pill: its text translated, its code kept as a class (for colour) and a tooltip. */
export function pill(family, value, extra) {
  if (!value) return h("span", { class: "muted" }, t("none"));
  return h("span", { class: ["pill", `${family}-${String(value).toLowerCase()}`, extra], title: value }, code(family, value));
}

/** An in-app link. */
export function link(hash, ...children) {
  return h("a", { href: hash }, ...children);
}

/** The hash of an order's page. */
export function orderHref(o) {
  return `#/orders/${[o.platform, o.shop_id, o.order_id].map(encodeURIComponent).join("/")}`;
}

// ---- tables -------------------------------------------------------------------------------------

/** columns: [{label, cell(row) → node|text, cls}] → a table inside a scrolling wrapper. */
export function table(columns, rows, { caption, rowAttrs } = {}) {
  const body = h("tbody");
  const out = h("div", { class: "table-wrap", tabindex: "0", role: "region", aria: { label: caption || "" } },
    h("table", {},
      caption ? h("caption", { class: "sr-only" }, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.cls }, c.label)))),
      body));
  addRows(out, columns, rows, rowAttrs);
  return out;
}

export function addRows(wrap, columns, rows, rowAttrs, { prepend = false } = {}) {
  const body = wrap.querySelector("tbody");
  const made = rows.map((row) => h("tr", rowAttrs ? rowAttrs(row) : {},
    columns.map((c) => h("td", { class: c.cls, dataset: { label: c.label } }, c.cell(row)))));
  if (prepend) body.prepend(...made); else body.append(...made);
  return made;
}

/** A labelled form field. */
export function field(label, control, { hint } = {}) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", {}, hint) : null);
}

export function select(name, options, value) {
  return h("select", { name }, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}
