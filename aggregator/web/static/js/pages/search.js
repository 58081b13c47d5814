// Search anything: one box for any identifier. Today the API finds orders by any identifier they
// touch (GET /api/v1/orders?q=); one match opens the order, several are listed.
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import { orderColumns } from "./orders.js";
import { PagedTable } from "../paged.js";
import { go, route } from "../router.js";
import { orderHref } from "../dom.js";

async function renderSearch(view, params, query) {
  const q = (query.get("q") || "").trim();
  const box = document.getElementById("search-box");
  if (box && box.value !== q) box.value = q;
  const message = h("p", { class: "message", role: "status" });
  const holder = h("div");
  fill(view, h("h1", {}, t("search.title", { q })), message, holder);
  if (!q) return;
  const first = await api("/api/v1/orders", { params: { q, limit: 50 } });
  if (first.items.length === 1 && !first.next_cursor) {
    go(orderHref(first.items[0]));
    return;
  }
  if (!first.items.length) {
    message.textContent = t("search.none", { q });
    return;
  }
  message.textContent = t("search.hits", { n: `${first.count}${first.count_exact ? "" : "+"}`, q });
  let served = false;
  const list = new PagedTable({
    caption: t("search.title", { q }), columns: orderColumns(),
    fetchPage: (cursor) => {
      if (!served) { served = true; return Promise.resolve(first); }
      return api("/api/v1/orders", { params: { q, limit: 50, cursor } });
    },
  });
  fill(holder, list.el);
  await list.start();
  return () => list.stop();
}

route({ pattern: "/search", permission: "read", render: renderSearch });
