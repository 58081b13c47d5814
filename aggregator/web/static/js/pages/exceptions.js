// Exceptions: the one queue of things a person must look at — records a sync or import parked, links the
// matcher could not make, settlement findings. Filtered by kind (a queue or one kind), status, owner and
// age; keyset-paged; new ones arrive live. A row opens the item: its reason, where it was found, its raw
// record and, for an ambiguous match, the candidates; resolving by choosing a candidate records that
// manual link (checked by the API) and closes the item. Parked records can be retried. With "operate"
// (operations, admin) rows can be selected and retried or resolved together.
import { ApiError, api, session } from "../api.js";
import { duration, fill, h, time, toast } from "../dom.js";
import { add, t } from "../i18n.js";
import { on } from "../live.js";
import { showList } from "../paged.js";
import { go, route, setQuery } from "../router.js";
import { documentHref, searchHref } from "../records.js";
import { facts } from "../sections.js";

const STATUSES = ["open", "retried", "resolved", "gone", "all"];
const QUEUES = ["parked", "match", "settlement"];
const KINDS = ["unlinked_receipt", "ambiguous", "shipment_without_order", "order_without_shipment", "mapping_error",
  "statement_mismatch", "over_paid", "under_paid"];
const AGES = ["", "1h", "1d", "7d", "30d"];

add({
  "exceptions.status.gone": ["gone", "已消失"],
  "exceptions.status.all": ["all", "全部"],
  "exceptions.age.30d": ["30 days", "30 天"],
  "exceptions.kind.any": ["any kind", "任意类型"],
  "exceptions.queue.parked": ["parked records", "暂存记录"],
  "exceptions.queue.match": ["matching", "匹配"],
  "exceptions.queue.settlement": ["settlement", "结算"],
  "exceptions.owner": ["Owner", "货主"],
  "exceptions.open": ["Open {id}", "打开 {id}"],
  "exceptions.where": ["Found at", "发现位置"],
  "exceptions.step": ["Step", "环节"],
  "exceptions.related": ["Related records", "相关记录"],
  "exceptions.resolution": ["Resolution", "处理结果"],
  "exceptions.by": ["by {who} at {at}", "{who} 于 {at}"],
  "exceptions.choose": ["Choose the right one", "选择正确的一项"],
  "exceptions.qty": ["Units (optional)", "数量（可选）"],
  "exceptions.note.hint": ["Why this one: a ticket, who agreed. Kept in the audit log.", "选择理由：工单号、谁同意。记入审计日志。"],
  "exceptions.resolved": ["Exception {id} resolved.", "异常 {id} 已处理。"],
  "exceptions.retried": ["Exception {id}: {detail}", "异常 {id}：{detail}"],
  "exceptions.refused": ["Refused: {detail}", "被拒绝：{detail}"],
  "exceptions.back": ["← Exceptions", "← 异常"],
  "exceptions.link.none": ["Resolve without a link (a note only)", "不建立关联，仅填写说明"],
  "exceptions.bulk.note": ["Note for the selected", "所选项的说明"],
  "exceptions.records": ["Raw record", "原始记录"],
  "exceptions.look": ["look (new tab)", "查看（新标签页）"],
});

// items this tab closed: the open list leaves them out even if a read right after the action still
// sees them open
const closed = new Set();
const itemHref = (x) => `#/exceptions/${x.id}`;

function columns(selection) {
  const cols = [
    { label: t("col.id"), cell: (x) => h("a", { href: itemHref(x), aria: { label: t("exceptions.open", { id: x.id }) } }, `#${x.id}`), cls: "num" },
    { label: t("col.owner"), cell: (x) => x.owner_id || t("none"), cls: "opt" },
    { label: t("col.source"), cell: (x) => x.source, cls: "opt" },
    { label: t("col.kind"), cell: (x) => h("span", { class: ["pill", `queue-${x.queue}`] }, x.kind) },
    { label: t("col.record"), cell: (x) => x.record_key || t("none"), cls: "id" },
    { label: t("col.reason"), cell: (x) => x.reason, cls: "wrap" },
    { label: t("col.status"), cell: (x) => t(`exceptions.status.${x.status}`), cls: "opt" },
    { label: t("col.age"), cell: (x) => h("span", { title: new Date(x.created_at).toISOString() },
      duration((Date.now() - new Date(x.created_at)) / 1000)), cls: "num" },
  ];
  if (!selection) return cols;
  return [{ label: h("span", { class: "sr-only" }, t("exceptions.select.all")), cell: (x) => h("input", {
    type: "checkbox", class: "pick", value: String(x.id), disabled: x.status !== "open",
    aria: { label: t("exceptions.select", { id: x.id }) }, onchange: selection.changed }) }, ...cols];
}

function kindSelect(value) {
  const option = (v, label) => h("option", { value: v, selected: v === value }, label);
  return h("select", { id: "f-kind", name: "kind" }, option("", t("exceptions.kind.any")),
    h("optgroup", { label: t("exceptions.filter.kind") }, QUEUES.map((q) => option(q, t(`exceptions.queue.${q}`)))),
    h("optgroup", { label: "kind" }, KINDS.map((k) => option(k, k)),
      value && !QUEUES.includes(value) && !KINDS.includes(value) ? option(value, value) : null));
}

async function ownerSelect() {
  if (session.me.bound_owner_id) return null;
  const sel = h("select", { id: "f-owner", name: "owner" }, h("option", { value: "" }, t("owner.all")));
  try {
    const owners = await api("/api/v1/owners", { owner: false });
    owners.forEach((o) => sel.append(h("option", { value: o.owner_id, selected: o.owner_id === session.owner }, o.owner_id)));
  } catch { /* the header's picker says the same */ }
  sel.addEventListener("change", () => session.setOwner(sel.value));
  return h("div", { class: "field" }, h("label", { for: "f-owner" }, t("exceptions.owner")), sel);
}

async function act(ids, one) {
  let done = 0;
  const refused = [];
  for (const id of ids) {
    try {
      await one(id);
      done += 1;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      refused.push(`#${id}: ${error.message}`);
    }
  }
  return { done, refused };
}

async function renderExceptions(view, params, query) {
  const values = {
    status: STATUSES.includes(query.get("status")) ? query.get("status") : "open",
    kind: query.get("kind") || "", older: AGES.includes(query.get("older")) ? query.get("older") : "",
  };
  const operate = session.can("operate");
  const holder = h("div");
  const message = h("p", { class: "message", role: "alert" });
  const count = h("span", { class: "bulk-count", aria: { live: "polite" } });
  const note = h("input", { id: "bulk-note", name: "note", maxlength: "2000" });
  const selection = operate ? {
    changed: () => {
      const n = holder.querySelectorAll("input.pick:checked").length;
      count.textContent = t("exceptions.bulk", { n });
      bulk.querySelectorAll("button").forEach((b) => { b.disabled = n === 0; });
    },
  } : null;
  const picked = () => [...holder.querySelectorAll("input.pick:checked")].map((c) => Number(c.value));
  const report = ({ done, refused }) => {
    toast(t("exceptions.done", { n: done, failed: refused.length }));
    message.textContent = refused.length ? refused.join(" · ") : "";
    start();
  };
  const bulk = h("div", { class: "bulk", hidden: !operate },
    h("button", { type: "button", class: "secondary", onclick: () => {
      holder.querySelectorAll("input.pick:not(:disabled)").forEach((c) => { c.checked = true; });
      selection.changed();
    } }, t("exceptions.select.all")),
    count,
    h("button", { type: "button", disabled: true, onclick: async () => report(await act(picked(),
      (id) => api(`/api/v1/exceptions/${id}/retry`, { method: "POST" }))) }, t("exceptions.bulk.retry")),
    h("div", { class: "field inline" }, h("label", { for: "bulk-note" }, t("exceptions.bulk.note")), note),
    h("button", { type: "button", disabled: true, onclick: async () => {
      if (!note.value.trim()) { message.textContent = t("exceptions.note.hint"); note.focus(); return; }
      report(await act(picked(), async (id) => {
        await api(`/api/v1/exceptions/${id}/resolve`, { method: "POST", body: { note: note.value.trim() } });
        closed.add(id);
      }));
    } }, t("exceptions.bulk.resolve")));
  let list;
  const start = () => {
    list = showList(holder, list, message, {
      caption: t("exceptions.title"), columns: columns(selection), key: (x) => String(x.id),
      rowAttrs: (x) => ({ dataset: { id: String(x.id) } }),
      fetchPage: async (cursor) => {
        const page = await api("/api/v1/exceptions", { params: {
          status: values.status, kind: values.kind, older_than: values.older, cursor, limit: 50 } });
        return values.status === "open" ? { ...page, items: page.items.filter((x) => !closed.has(x.id)) } : page;
      },
    });
    if (selection) list.ready.then(selection.changed);
    return list.ready;
  };
  const status = h("select", { id: "f-status", name: "status" },
    STATUSES.map((s) => h("option", { value: s, selected: values.status === s }, t(`exceptions.status.${s}`))));
  const kind = kindSelect(values.kind);
  const older = h("select", { id: "f-older", name: "older" },
    AGES.map((a) => h("option", { value: a, selected: values.older === a }, t(a ? `exceptions.age.${a}` : "exceptions.age.any"))));
  const form = h("form", { class: "filters", onsubmit: (e) => e.preventDefault() },
    h("div", { class: "field" }, h("label", { for: "f-kind" }, t("exceptions.filter.kind")), kind),
    h("div", { class: "field" }, h("label", { for: "f-status" }, t("exceptions.filter.status")), status),
    await ownerSelect(),
    h("div", { class: "field" }, h("label", { for: "f-older" }, t("exceptions.filter.age")), older));
  for (const [name, control] of [["status", status], ["kind", kind], ["older", older]]) {
    control.addEventListener("change", () => { values[name] = control.value; setQuery(values); start(); });
  }
  fill(view, h("h1", {}, t("exceptions.title")), h("p", { class: "intro" }, t("exceptions.intro")),
    form, operate ? null : h("p", { class: "muted" }, t("exceptions.readonly")), bulk, message, holder);
  await start();
  const refresh = async (event) => {
    const d = event.data || {};
    if (event.topic === "exception.resolved" && values.status === "open") { list.remove(String(d.id)); return; }
    try {
      const item = await api(`/api/v1/exceptions/${d.id}`);
      const matches = (values.status === "all" || item.status === values.status)
        && (!values.kind || item.kind === values.kind || item.queue === values.kind);
      if (matches) list.upsert(item); else list.remove(String(item.id));
    } catch { /* not ours or gone */ }
  };
  const offs = [on("exception.opened", refresh), on("exception.resolved", refresh)];
  return () => { offs.forEach((off) => off()); list.stop(); };
}

/** A link to look at a candidate before choosing it (bills and customs entries have pages). */
function candidateLink(c) {
  const [owner, number] = c.key.split("|");
  if (c.kind === "transport_document" && number) {
    return h("a", { href: documentHref(owner, number), target: "_blank", rel: "noopener" }, t("exceptions.look"));
  }
  if (c.kind === "customs_entry" && number) {
    return h("a", { href: searchHref(number), target: "_blank", rel: "noopener" }, t("exceptions.look"));
  }
  return null;
}

function resolveForm(item, after) {
  const candidates = item.candidates || [];
  const message = h("p", { class: "message", role: "alert" });
  const noteId = `note-${item.id}`;
  const form = h("form", { class: "resolve" },
    candidates.length ? h("fieldset", {}, h("legend", {}, t("exceptions.choose")),
      candidates.map((c, i) => h("div", { class: "candidate" },
        h("input", { type: "radio", name: "link", id: `cand-${i}`, value: c.key, required: true, checked: i === 0 }),
        h("label", { for: `cand-${i}` }, h("code", {}, c.key), " ", h("span", { class: "pill" }, c.kind),
          c.why ? h("small", { class: "muted" }, ` ${c.why}`) : null),
        candidateLink(c))),
      h("div", { class: "candidate" },
        h("input", { type: "radio", name: "link", id: "cand-none", value: "" }),
        h("label", { for: "cand-none" }, t("exceptions.link.none")))) : null,
    candidates.length ? h("div", { class: "field" }, h("label", { for: `qty-${item.id}` }, t("exceptions.qty")),
      h("input", { id: `qty-${item.id}`, name: "qty", type: "number", min: "1", step: "1", inputmode: "numeric" })) : null,
    h("div", { class: "field grow" }, h("label", { for: noteId }, t("exceptions.note")),
      h("textarea", { id: noteId, name: "note", required: true, maxlength: "2000", rows: "2",
        aria: { describedby: `${noteId}-hint` } }),
      h("small", { id: `${noteId}-hint`, class: "muted" }, t("exceptions.note.hint"))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, candidates.length ? t("exceptions.pick") : t("exceptions.resolve"))),
    message);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    const body = { note: data.note.trim() };
    if (data.link) body.link = data.link;
    if (data.qty) body.qty = Number(data.qty);
    form.querySelector("button[type=submit]").disabled = true;
    try {
      await api(`/api/v1/exceptions/${item.id}/resolve`, { method: "POST", body });
      closed.add(item.id);
      toast(t("exceptions.resolved", { id: item.id }));
      after();
    } catch (error) {
      message.textContent = t("exceptions.refused", { detail: error.message });
      form.querySelector("button[type=submit]").disabled = false;
    }
  });
  return form;
}

async function renderItem(view, { id }, query, current) {
  const body = h("div");
  fill(view, h("p", {}, h("a", { href: "#/exceptions" }, t("exceptions.back"))),
    h("h1", {}, t("exceptions.detail", { id })), body);
  // after an action, `changed` is the item as the action's answer gave it: authoritative for what the
  // action changed, even if a read right after it still sees the item as before
  const load = async (changed = null) => {
    let x;
    try {
      x = await api(`/api/v1/exceptions/${encodeURIComponent(id)}`);
      if (changed && changed.attempts >= x.attempts) x = { ...x, ...changed };
    } catch (error) {
      fill(body, h("p", { class: "message", role: "alert" },
        error instanceof ApiError && error.status === 404 ? t("error.notfound") : t("error.load", { detail: error.message })));
      return;
    }
    if (!current()) return;
    const operate = session.can("operate") && x.status === "open";
    const retry = operate && x.queue === "parked" ? h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        const outcome = await api(`/api/v1/exceptions/${x.id}/retry`, { method: "POST" });
        toast(t("exceptions.retried", { id: x.id, detail: outcome.detail }));
        load(outcome.item);
      } catch (error) { toast(t("exceptions.refused", { detail: error.message })); }
    } }, t("exceptions.retry")) : null;
    fill(body,
      facts([[t("col.status"), t(`exceptions.status.${x.status}`)], [t("col.owner"), x.owner_id], [t("col.source"), x.source],
        [t("col.kind"), `${x.queue} · ${x.kind}`], [t("col.reason"), x.reason], [t("exceptions.where"), x.location],
        [t("col.record"), x.record_key ? h("code", {}, x.record_key) : null], [t("exceptions.step"), x.step],
        [t("col.qty"), x.qty], [t("col.since"), time(x.created_at)], [t("col.attempts"), x.attempts],
        [t("exceptions.resolution"), x.resolution ? [x.resolution, " ", h("small", { class: "muted" },
          t("exceptions.by", { who: x.resolved_by || "", at: x.resolved_at ? new Date(x.resolved_at).toISOString() : "" }))] : null]]),
      x.related_keys.length ? h("section", { aria: { labelledby: "s-rel" } }, h("h2", { id: "s-rel" }, t("exceptions.related")),
        h("ul", { class: "plain" }, x.related_keys.map((k) => h("li", {}, h("code", {}, k))))) : null,
      operate ? h("section", { aria: { labelledby: "s-act" } }, h("h2", { id: "s-act" },
        x.candidates.length ? t("exceptions.candidates") : t("exceptions.resolve")),
      resolveForm(x, () => go("#/exceptions")), retry) : null,
      !operate && x.candidates.length ? h("section", {}, h("h2", {}, t("exceptions.candidates")),
        h("ul", { class: "plain" }, x.candidates.map((c) => h("li", {}, h("code", {}, c.key), " ", c.kind,
          c.why ? h("small", { class: "muted" }, ` ${c.why}`) : null)))) : null,
      x.raw_payload !== null && x.raw_payload !== undefined ? h("section", { aria: { labelledby: "s-raw" } },
        h("h2", { id: "s-raw" }, t("exceptions.records")),
        h("pre", { class: "payload", tabindex: "0" }, JSON.stringify(x.raw_payload, null, 2))) : null);
  };
  await load();
  const off = on("exception.resolved", (event) => { if (String(event.data?.id) === String(id)) load(); });
  return off;
}

route({ pattern: "/exceptions", nav: "nav.exceptions", permission: "read", render: renderExceptions });
route({ pattern: "/exceptions/:id", permission: "read", render: renderItem });
