// Shops health: per shop its authorization, the access and refresh tokens' expiry counting down, the
// way to re-authorize, and per stream the last sync, its lag behind now and its last failure.
import { api } from "../api.js";
import { duration, fill, h, pill, secondsUntil, time } from "../dom.js";
import { t } from "../i18n.js";
import { on } from "../live.js";
import { route } from "../router.js";

const WARN = 3 * 86400; // a token expiring within 3 days is flagged

// Access tokens live hours and renew by themselves: only an expired one is flagged. A refresh token
// that ends means a seller must authorize again: flagged days ahead.
function countdown(iso, warnWithin) {
  if (!iso) return h("span", { class: "muted" }, t("none"));
  const el = h("span", { class: "countdown", dataset: { until: iso, warn: String(warnWithin) } });
  tick(el);
  return el;
}

function tick(el) {
  const left = secondsUntil(el.dataset.until);
  el.textContent = left <= 0 ? t("shops.expired", { ago: duration(-left) }) : t("shops.expires.in", { left: duration(left) });
  el.classList.toggle("bad", left <= 0);
  el.classList.toggle("warn", left > 0 && left < Number(el.dataset.warn));
}

function authState(shop) {
  if (shop.needs_reauthorization) return ["bad", t("shops.reauth")];
  if (!shop.authorized) return ["bad", t("shops.unauthorized")];
  const left = shop.access_token_expires_at ? secondsUntil(shop.access_token_expires_at) : Infinity;
  const refreshLeft = shop.refresh_token_expires_at ? secondsUntil(shop.refresh_token_expires_at) : Infinity;
  if (refreshLeft <= 0) return ["bad", t("shops.reauth")];
  if (refreshLeft < WARN) return ["warn", t("shops.authorized")];
  return [left <= 0 ? "warn" : "ok", t("shops.authorized")];
}

function streams(shop) {
  if (!shop.streams.length) return h("p", { class: "muted" }, t("shops.never"));
  return h("ul", { class: "streams" }, shop.streams.map((s) => h("li", { class: s.last_run_status === "failed" ? "bad" : "" },
    h("strong", {}, s.stream), " ",
    s.lag_seconds !== null ? h("span", { class: ["lag", s.lag_seconds > 3600 ? "warn" : ""] }, t("shops.lag", { lag: duration(s.lag_seconds) })) : null,
    " ",
    s.last_run_status ? h("span", {}, pill("run", s.last_run_status), " ", time(s.last_run_finished_at)) : h("span", { class: "muted" }, t("shops.never")),
    s.last_run_error ? h("p", { class: "error-text" }, s.last_run_error) : null)));
}

function shopCard(shop) {
  const [level, text] = authState(shop);
  const needs = level === "bad";
  return h("article", { class: ["shop", `auth-${level}`], aria: { labelledby: `shop-${shop.platform}-${shop.shop_id}` } },
    h("h2", { id: `shop-${shop.platform}-${shop.shop_id}` }, `${shop.name || shop.shop_id}`),
    h("p", { class: "muted" }, `${shop.platform} · ${shop.shop_id} · ${shop.region} · ${shop.owner_id}`),
    h("dl", { class: "summary compact" },
      h("dt", {}, t("shops.auth")), h("dd", {}, h("span", { class: ["pill", `level-${level}`] }, text),
        shop.status_reason ? h("small", { class: "muted" }, ` ${shop.status_reason}`) : null),
      h("dt", {}, t("shops.expires")), h("dd", {}, countdown(shop.access_token_expires_at, 0)),
      h("dt", {}, t("shops.refresh")), h("dd", {}, countdown(shop.refresh_token_expires_at, WARN))),
    needs ? h("p", { class: "reauth" }, h("code", {}, t("shops.reauth.how", { shop: shop.shop_id }))) : null,
    h("h3", {}, t("shops.streams")), streams(shop));
}

async function renderShops(view) {
  const grid = h("div", { class: "shops" });
  const message = h("p", { class: "message", role: "alert" });
  fill(view, h("h1", {}, t("shops.title")), message, grid);
  const load = async () => {
    try {
      fill(grid, (await api("/api/v1/shops")).map(shopCard));
    } catch (error) {
      message.textContent = t("error.load", { detail: error.message });
    }
  };
  await load();
  const timer = setInterval(() => grid.querySelectorAll(".countdown").forEach(tick), 1000);
  const off = on("run.finished", load);
  return () => { clearInterval(timer); off(); };
}

route({ pattern: "/shops", nav: "nav.shops", permission: "read", render: renderShops });
