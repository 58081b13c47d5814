// The REST API as the page uses it: the key in the Authorization header (never in a URL), the chosen
// owner as ?owner= for a key that sees every owner, problem+json errors as ApiError, and keyset pages.
//
// session holds the key (sessionStorage: this tab only), the /me answer and the chosen owner. A 401 on
// any call signs the tab out (the key expired or was revoked) through the "signedout" event.

import { useMinorUnits } from "./dom.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

const KEY = "aggregatorKey";
const OWNER = "aggregatorOwner";

export const session = new (class extends EventTarget {
  constructor() {
    super();
    this.key = sessionStorage.getItem(KEY) || "";
    this.owner = sessionStorage.getItem(OWNER) || "";
    this.me = null;
  }

  /** Ask /me with key; on success keep it. Throws ApiError (401 for a rejected key). */
  async signIn(key) {
    this.key = key;
    try {
      this.me = await api("/api/v1/me", { owner: false });
      useMinorUnits(this.me.minor_units);
    } catch (error) {
      this.key = "";
      this.me = null;
      throw error;
    }
    sessionStorage.setItem(KEY, key);
    if (this.me.bound_owner_id) this.setOwner("");
    this.dispatchEvent(new Event("signedin"));
    return this.me;
  }

  signOut(reason) {
    const was = Boolean(this.me);
    this.key = "";
    this.me = null;
    sessionStorage.removeItem(KEY);
    if (was || reason) this.dispatchEvent(new CustomEvent("signedout", { detail: reason || "" }));
  }

  can(permission) { return Boolean(this.me && this.me.permissions.includes(permission)); }

  /** The owner every request is scoped to: the key's own, or the one chosen ("" = every owner). */
  scopeOwner() { return this.me?.bound_owner_id || this.owner || ""; }

  setOwner(owner) {
    this.owner = owner || "";
    if (this.owner) sessionStorage.setItem(OWNER, this.owner); else sessionStorage.removeItem(OWNER);
    this.dispatchEvent(new Event("owner"));
  }
})();

/** path + params (undefined/empty values dropped) as a URL string. */
export function url(path, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((item) => query.append(k, item)); else query.set(k, v);
  }
  const text = query.toString();
  return text ? `${path}${path.includes("?") ? "&" : "?"}${text}` : path;
}

function scoped(params, owner) {
  if (owner === false || session.me?.bound_owner_id) return params || {};
  const chosen = typeof owner === "string" ? owner : session.owner;
  return chosen ? { owner: chosen, ...(params || {}) } : params || {};
}

/** fetch + auth + problem handling. Returns parsed JSON (or the Response when raw). */
export async function api(path, { method = "GET", params, body, owner, signal, raw = false, headers } = {}) {
  const init = { method, signal, headers: { Authorization: `Bearer ${session.key}`, Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url(path, scoped(params, owner)), init);
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ title: response.statusText }));
    const error = new ApiError(response.status, problem);
    if (response.status === 401 && session.me) session.signOut(error.message);
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** Download an authorised file (journals, exports) and hand it to the browser as a file. */
export async function download(path, params, fallbackName) {
  const response = await api(path, { params, raw: true, headers: { Accept: "*/*" } });
  const disposition = response.headers.get("content-disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : fallbackName;
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}

/** Does the API serve this operation? (The OpenAPI document, read once.) */
let openapi = null;
export async function serves(path, method = "get") {
  if (!openapi) openapi = fetch("/api/openapi.json").then((r) => r.json()).catch(() => ({ paths: {} }));
  const doc = await openapi;
  return Boolean(doc.paths?.[path]?.[method]);
}
