// The web page: a thin client of the REST API. The API key stays in sessionStorage of this tab.
"use strict";

const state = { key: sessionStorage.getItem("aggregatorKey") || "" };
const $ = (sel) => document.querySelector(sel);

function text(value) { return value === null || value === undefined ? "" : String(value); }

function cell(row, value, cls) {
  const td = document.createElement("td");
  td.textContent = text(value);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${state.key}` } });
  if (response.status === 401) {
    signOut("That API key was not accepted.");
    const error = new Error("That API key was not accepted.");
    error.signedOut = true;
    throw error;
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));  // RFC 9457 problem+json
    throw new Error(`${response.status} ${problem.detail || problem.title || ""}`);
  }
  return response.json();
}

function show(message) { $("#message").textContent = message || ""; }
function fail(error) { if (!error.signedOut) show(error.message); }

function signOut(message) {
  state.key = "";
  sessionStorage.removeItem("aggregatorKey");
  $("#login").hidden = false; $("#logout").hidden = true; $("#tabs").hidden = true;
  document.querySelectorAll(".tab").forEach((t) => { t.hidden = true; });
  show(message);
}

function openTab(name) {
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== name; });
  ({ orders: loadOrders, exceptions: loadExceptions, runs: loadRuns, shops: loadShops })[name]().catch(fail);
}

async function loadOrders() {
  const params = new URLSearchParams({ limit: "100" });
  if ($("#order-search").value.trim()) params.set("q", $("#order-search").value.trim());
  if ($("#order-status").value) params.set("status", $("#order-status").value);
  const page = await api(`/api/v1/orders?${params}`);
  const body = $("#order-table tbody");
  body.replaceChildren();
  for (const order of page.items) {
    const row = document.createElement("tr");
    row.dataset.order = `${order.platform}/${order.shop_id}/${order.order_id}`;
    cell(row, order.platform); cell(row, order.shop_id); cell(row, order.order_id);
    const status = cell(row, ""); const badge = document.createElement("span");
    badge.className = `status ${order.status}`; badge.textContent = order.status; status.appendChild(badge);
    cell(row, order.total_amount === null ? "" : `${order.total_amount} ${order.currency}`, "num");
    cell(row, order.source_updated_at);
    row.addEventListener("click", () => loadOrder(row.dataset.order).catch(fail));
    body.appendChild(row);
  }
  $("#order-count").textContent = `${page.items.length} of ${page.count}${page.count_exact ? "" : "+"} orders`;
}

async function loadOrder(path) {
  const order = await api(`/api/v1/orders/${path.split("/").map(encodeURIComponent).join("/")}`);
  $("#detail-title").textContent = `${order.platform} ${order.shop_id} · ${order.order_id} · ${order.status}`;
  const lines = $("#detail-lines tbody");
  lines.replaceChildren();
  for (const line of order.lines) {
    const row = document.createElement("tr");
    cell(row, line.line_ref); cell(row, line.seller_sku); cell(row, line.quantity, "num");
    cell(row, line.unit_price === null ? "" : `${line.unit_price} ${line.currency}`, "num");
    cell(row, line.package_id); cell(row, line.tracking_number);
    lines.appendChild(row);
  }
  const timeline = $("#detail-timeline");
  timeline.replaceChildren();
  for (const step of order.timeline) {
    const li = document.createElement("li");
    li.textContent = `${step.at} — ${step.step} (${step.source})${step.detail ? ": " + step.detail : ""}`;
    timeline.appendChild(li);
  }
  $("#order-detail").hidden = false;
}

async function fillTable(section, rows, columns) {
  const body = document.querySelector(`#${section} tbody`);
  body.replaceChildren();
  for (const item of rows) {
    const row = document.createElement("tr");
    columns.forEach((c) => cell(row, typeof c === "function" ? c(item) : item[c]));
    body.appendChild(row);
  }
}

async function loadExceptions() {
  fillTable("exceptions", (await api("/api/v1/exceptions")).items, ["id", "source", "kind", "record_key", "reason", "created_at"]);
}
async function loadRuns() {
  fillTable("runs", (await api("/api/v1/runs")).items, ["id", (r) => `${r.platform}:${r.shop_id}`, "stream", "status",
    "created", "updated", "unchanged", "failed", "cursor_after"]);
}
async function loadShops() {
  fillTable("shops", await api("/api/v1/shops"), ["platform", "shop_id", "region", "name", "status"]);
}

function signIn(key) {
  state.key = key;
  sessionStorage.setItem("aggregatorKey", key);
  $("#login").hidden = true; $("#logout").hidden = false; $("#tabs").hidden = false;
  show("");
  openTab("orders");
}

$("#login").addEventListener("submit", (event) => { event.preventDefault(); signIn($("#api-key").value.trim()); });
$("#logout").addEventListener("click", () => signOut(""));
$("#order-filters").addEventListener("submit", (event) => { event.preventDefault(); loadOrders().catch(fail); });
document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => openTab(b.dataset.tab)));
if (state.key) signIn(state.key);
