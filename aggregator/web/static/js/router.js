// Hash routes: "#/orders/shopee/111/A0?x=1" → the page whose pattern matches, with its parameters.
// A page is {pattern, nav?, permission, render(view, params, query) → cleanup?}. Leaving a page calls
// its cleanup (to stop live listeners and observers). Pages the key's role may not open are refused.
import { session } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";

const routes = [];
let cleanup = null;
let renderId = 0;

/** pattern: "/orders/:platform/:shop/:order" */
export function route(page) {
  const names = [];
  const source = page.pattern.replace(/:(\w+)/g, (m, name) => { names.push(name); return "([^/]+)"; });
  routes.push({ ...page, regex: new RegExp(`^${source}$`), names });
}

export function pages() { return routes; }

export function parse(hash = location.hash) {
  const text = hash.replace(/^#/, "") || "/";
  const [path, queryText] = text.split("?", 2);
  return { path: path || "/", query: new URLSearchParams(queryText || "") };
}

export function go(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

/** Show hash instead of the current entry (no new history entry): a search that found exactly one
 * record opens it, and Back returns to the page before the search. */
export function replace(hash) {
  history.replaceState(null, "", hash);
  render();
}

/** Replace the query of the current hash without a new history entry or a re-render. */
export function setQuery(params) {
  const { path } = parse();
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") query.set(k, v);
  const text = query.toString();
  history.replaceState(null, "", `#${path}${text ? `?${text}` : ""}`);
}

/** A text box (or editable element) or a list: where a person types or picks. */
function textBox(el) {
  if (!el || el === document.body) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

// how many times the person went into or typed in a text box (focus or input events, counted before a page sees them)
let touched = 0;
for (const type of ["focusin", "input"]) {
  document.addEventListener(type, (event) => { if (textBox(event.target)) touched += 1; }, true);
}

/** Whether the person is in a text box or a list outside the page that a page finishing loading must not
 * take the focus from: a list (the owner picker) always; a text box (the header's search box) when they
 * went into it or typed in it while the page loaded, so what they type is not lost. A search they
 * submitted before the page began (Enter in the search box) moves the focus to the page's heading, as
 * every navigation does. */
function typing(since) {
  const el = document.activeElement;
  if (!textBox(el)) return false;
  return el.tagName === "SELECT" || touched !== since;
}

export async function render() {
  const view = document.getElementById("view");
  if (cleanup) {
    try { cleanup(); } catch { /* a page's cleanup never blocks the next page */ }
    cleanup = null;
  }
  if (!session.me) return;
  const { path, query } = parse();
  const current = ++renderId;
  const since = touched;
  let found = null;
  let params = {};
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (m) {
      found = r;
      r.names.forEach((name, i) => { params[name] = decodeURIComponent(m[i + 1]); });
      break;
    }
  }
  if (!found) {
    const first = routes.find((r) => r.nav && session.can(r.permission));
    if (path === "/" && first) { go(`#${first.pattern}`); return; }
    fill(view, h("h1", { tabindex: "-1" }, t("page.notfound")));
    return;
  }
  document.dispatchEvent(new CustomEvent("routechange", { detail: { page: found, path } }));
  if (!session.can(found.permission)) {
    fill(view, h("h1", { tabindex: "-1" }, t("error.forbidden")));
    return;
  }
  fill(view);
  const result = await found.render(view, params, query, () => current === renderId);
  if (current === renderId) {
    cleanup = typeof result === "function" ? result : null;
    const heading = view.querySelector("h1");
    if (heading && !view.contains(document.activeElement) && !typing(since)) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  } else if (typeof result === "function") {
    result();
  }
}

window.addEventListener("hashchange", () => render());
