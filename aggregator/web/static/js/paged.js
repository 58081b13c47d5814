// A long list read one keyset page at a time: the first page on show, the next when the end of the
// table scrolls into view (or "Load more" is pressed, for keyboards), never everything at once.
// The count comes from the API's bounded count ("10000+" when it stopped counting).
import { addRows, fill, h, table } from "./dom.js";
import { t } from "./i18n.js";

export class PagedTable {
  /**
   * fetchPage(cursor) → {items, next_cursor, count, count_exact}; columns as for dom.table;
   * rowAttrs(row) → attributes of its <tr>; key(row) → a stable id (for live updates).
   */
  constructor({ fetchPage, columns, caption, rowAttrs, key, onError }) {
    Object.assign(this, { fetchPage, columns, rowAttrs, key, onError });
    this.cursor = null;
    this.done = false;
    this.loading = null;
    this.shown = 0;
    this.count = 0;
    this.exact = true;
    this.rowsByKey = new Map();
    this.wrap = table(columns, [], { caption, rowAttrs });
    this.status = h("p", { class: "list-status", aria: { live: "polite" } });
    this.more = h("button", { type: "button", class: "more", onclick: () => this.next() }, t("list.more"));
    this.sentinel = h("div", { class: "sentinel", aria: { hidden: "true" } });
    this.el = h("div", { class: "paged" }, this.wrap, this.status, this.more, this.sentinel);
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.next();
    }, { rootMargin: "200px" });
  }

  /** Load the first page and start watching the end of the list. */
  async start() {
    await this.next();
    this.observer.observe(this.sentinel);
    return this;
  }

  stop() { this.observer.disconnect(); }

  async next() {
    if (this.done) return;
    if (this.loading) return this.loading;
    this.status.textContent = t("list.loading");
    this.more.disabled = true;
    this.loading = (async () => {
      try {
        const page = await this.fetchPage(this.cursor);
        this.count = page.count;
        this.exact = page.count_exact;
        this.cursor = page.next_cursor;
        this.done = !page.next_cursor;
        const fresh = this.key ? page.items.filter((r) => !this.rowsByKey.has(this.key(r))) : page.items;
        const rows = addRows(this.wrap, this.columns, fresh, this.rowAttrs);
        if (this.key) fresh.forEach((r, i) => this.rowsByKey.set(this.key(r), rows[i]));
        this.shown += fresh.length;
      } catch (error) {
        this.done = true;
        if (this.onError) this.onError(error); else throw error;
      } finally {
        this.loading = null;
        this.renderStatus();
      }
    })();
    return this.loading;
  }

  renderStatus() {
    this.more.hidden = this.done;
    this.more.disabled = false;
    const total = Math.max(this.count, this.shown);
    this.status.textContent = this.shown === 0 ? t("list.empty")
      : t("list.count", { shown: this.shown, count: total, plus: this.exact ? "" : "+" });
  }

  /** Put row at the top (new) or replace its line in place (changed), marking it as updated live. */
  upsert(row) {
    const id = this.key(row);
    const [made] = addRows(this.wrap, this.columns, [row], this.rowAttrs, { prepend: !this.rowsByKey.has(id) });
    const old = this.rowsByKey.get(id);
    if (old) {
      old.replaceWith(made);
    } else {
      this.shown += 1;
      this.count += 1;
    }
    made.classList.add("live-flash");
    made.title = t("live.updated");
    this.rowsByKey.set(id, made);
    this.renderStatus();
    return made;
  }

  remove(id) {
    const row = this.rowsByKey.get(id);
    if (!row) return;
    row.remove();
    this.rowsByKey.delete(id);
    this.shown -= 1;
    this.count = Math.max(0, this.count - 1);
    this.renderStatus();
  }
}

/** Stop old (if any), show a new list in holder and load its first page (list.ready); a failure to
 * load is written into message. */
export function showList(holder, old, message, options) {
  if (old) old.stop();
  if (message) message.textContent = "";
  const list = new PagedTable({
    onError: (error) => { if (message) message.textContent = t("error.load", { detail: error.message }); },
    ...options,
  });
  fill(holder, list.el);
  list.ready = list.start();
  return list;
}
