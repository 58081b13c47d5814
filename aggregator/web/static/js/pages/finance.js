// Finance, one owner at a time (statements, locks and journals are an owner's books): the marketplace
// statements with whether their lines add up to what was declared and whether they are booked; the
// per-order reconciliation by status; FX rate locks (used, left, state), the exposure of open
// foreign-currency receivables and the month-end revaluations; journal and settlement downloads in every
// layout the API offers. Reads /api/v1/settlements/…, /api/v1/fx/locks, /receivables, /revaluations,
// /api/v1/exports/….
import { ApiError, api, download, session } from "../api.js";
import { day, decimal, fill, h, link, money, orderHref, pill, section, sumDecimals, table, time, toast } from "../dom.js";
import { add, t } from "../i18n.js";
import { showList } from "../paged.js";
import { pickOwner } from "../owner_pick.js";
import { route, setQuery } from "../router.js";
import { facts } from "../sections.js";

add({
  "fin.intro": ["Statements, reconciliation, FX and journals of {owner}.", "{owner} 的结算单、对账、汇率与凭证。"],
  "fin.pick": ["Finance is kept per owner: choose one.", "财务按货主分账：请选择货主。"],
  "fin.statements": ["Statements", "结算单"],
  "fin.recon": ["Orders reconciled", "订单对账"],
  "fin.fx": ["FX locks and exposure", "锁汇与敞口"],
  "fin.downloads": ["Journals and exports", "凭证与导出"],
  "fin.check": ["Lines vs declared", "明细与申报"],
  "fin.check.balanced": ["balanced", "一致"],
  "fin.check.mismatch": ["mismatch", "不一致"],
  "fin.check.unchecked": ["not checked", "未核对"],
  "fin.declared": ["Declared", "申报"],
  "fin.lines": ["Lines", "明细"],
  "fin.difference": ["Difference", "差额"],
  "fin.payout": ["Payout", "打款"],
  "fin.payment": ["Payment", "付款状态"],
  "fin.booked": ["Booked", "入账"],
  "fin.issued": ["Issued", "出具"],
  "fin.statement": ["Statement {id}", "结算单 {id}"],
  "fin.breakdown": ["Declared breakdown", "申报构成"],
  "fin.categories": ["By category", "按费用类别"],
  "fin.booking": ["Booking", "入账"],
  "fin.journals": ["Journals", "凭证"],
  "fin.notbooked": ["Not booked yet.", "尚未入账。"],
  "fin.recon.status": ["Status", "状态"],
  "fin.expected": ["Expected net", "应收净额"],
  "fin.settled": ["Settled", "已结算"],
  "fin.gross": ["Order gross", "订单金额"],
  "fin.deductions": ["Deductions", "扣费"],
  "fin.locks": ["Rate locks", "锁汇"],
  "fin.lock": ["Lock", "锁汇单"],
  "fin.pair": ["Pair", "币对"],
  "fin.rate": ["Client rate", "成交汇率"],
  "fin.mid": ["Mid", "中间价"],
  "fin.margin": ["Margin (bp)", "点差（基点）"],
  "fin.notional": ["Notional", "名义金额"],
  "fin.used": ["Used", "已用"],
  "fin.left": ["Left", "剩余"],
  "fin.valid": ["Valid", "有效期"],
  "fin.state": ["State", "状态"],
  "fin.exposure": ["Open receivables by currency", "按币种的未结应收"],
  "fin.exposure.none": ["No open foreign-currency receivable.", "没有未结外币应收。"],
  "fin.original": ["Original", "原币"],
  "fin.carrying": ["Carrying", "账面"],
  "fin.items": ["Items", "笔数"],
  "fin.revaluations": ["Month-end revaluations", "月末重估"],
  "fin.revaluations.none": ["No revaluation run yet (aggregator fx revalue).", "尚未重估（aggregator fx revalue）。"],
  "fin.run": ["Run", "批次"],
  "fin.unrealized": ["Unrealized gain (+) / loss (−)", "未实现汇兑损益"],
  "fin.layout": ["Layout", "格式"],
  "fin.from": ["From", "自"],
  "fin.to": ["To", "至"],
  "fin.entity": ["Entity (optional)", "主体（可选）"],
  "fin.download": ["Download", "下载"],
  "fin.downloaded": ["Downloaded {name}", "已下载 {name}"],
  "fin.period": ["Month", "月份"],
  "fin.format": ["Format", "文件格式"],
  "fin.journal.title": ["Journal", "会计凭证"],
  "fin.settlement.title": ["Settlement per order", "逐单结算"],
  "fin.unavailable": ["This server does not offer it yet.", "此服务器尚未提供。"],
  "recon.unsettled": ["unsettled", "未结算"],
  "recon.partially_settled": ["partly settled", "部分结算"],
  "recon.settled": ["settled", "已结算"],
  "recon.over_paid": ["over paid", "多付"],
  "recon.under_paid": ["under paid", "少付"],
  "recon.settled_without_order": ["no order", "无订单"],
  "recon.refunded": ["refunded", "已退款"],
});

const RECON = ["unsettled", "partially_settled", "settled", "over_paid", "under_paid", "settled_without_order", "refunded"];
const PAGE = 50;
const enc = (...parts) => parts.map(encodeURIComponent).join("/");

/** A keyset-paged settlements list; `seen(answer)` sees each whole answer (the reconciliation counts). */
function pages(path, params, seen = () => {}) {
  return async (cursor) => {
    const answer = await api(path, { params: { ...params, cursor, limit: PAGE } });
    seen(answer);
    return answer;
  };
}

function statementHref(s) { return `#/finance/statements/${enc(s.platform, s.shop_id, s.statement_id)}`; }

function checkPill(value) {
  const level = value === "balanced" ? "ok" : value === "mismatch" ? "bad" : "warn";
  return h("span", { class: ["pill", `level-${level}`], title: value }, t(`fin.check.${value}`));
}

function statementColumns() {
  return [
    { label: t("fin.statements"), cell: (s) => link(statementHref(s), s.statement_id), cls: "id" },
    { label: t("col.shop"), cell: (s) => `${s.platform}:${s.shop_id}`, cls: "opt" },
    { label: t("fin.issued"), cell: (s) => time(s.issued_at) },
    { label: t("fin.declared"), cell: (s) => money(s.declared_total, s.currency), cls: "num" },
    { label: t("fin.lines"), cell: (s) => money(s.lines_total, s.currency), cls: "num opt" },
    { label: t("fin.difference"), cell: (s) => money(s.difference, s.currency), cls: "num opt" },
    { label: t("fin.check"), cell: (s) => checkPill(s.check) },
    { label: t("fin.payment"), cell: (s) => s.payment_status || t("none"), cls: "opt" },
    { label: t("fin.booked"), cell: (s) => s.booked },
  ];
}

function reconColumns() {
  return [
    { label: t("col.order"), cell: (r) => link(orderHref(r), r.order_id), cls: "id" },
    { label: t("col.shop"), cell: (r) => `${r.platform}:${r.shop_id}`, cls: "opt" },
    { label: t("fin.recon.status"), cell: (r) => pill("recon", r.status) },
    { label: t("fin.gross"), cell: (r) => money(r.order_gross, r.currency), cls: "num opt" },
    { label: t("fin.expected"), cell: (r) => money(r.expected_net, r.currency), cls: "num" },
    { label: t("fin.settled"), cell: (r) => money(r.settled, r.currency), cls: "num" },
    { label: t("fin.difference"), cell: (r) => money(r.difference, r.currency), cls: "num" },
  ];
}

function lockColumns() {
  return [
    { label: t("fin.lock"), cell: (l) => l.lock_id, cls: "id" },
    { label: t("fin.pair"), cell: (l) => l.pair },
    { label: t("fin.rate"), cell: (l) => decimal(l.client_rate), cls: "num" },
    { label: t("fin.margin"), cell: (l) => (l.margin_bp === null ? t("none") : decimal(l.margin_bp)), cls: "num opt" },
    { label: t("fin.notional"), cell: (l) => money(l.notional, l.notional_currency), cls: "num" },
    { label: t("fin.used"), cell: (l) => money(l.used, l.notional_currency), cls: "num opt" },
    { label: t("fin.left"), cell: (l) => money(l.remaining, l.notional_currency), cls: "num" },
    { label: t("fin.valid"), cell: (l) => [day(l.valid_from), " → ", day(l.valid_to)], cls: "opt" },
    { label: t("fin.state"), cell: (l) => h("span", { class: "pill" }, l.state) },
  ];
}

/** Open receivables summed per original currency (and their carrying amount in the book currency). */
export function exposure(items) {
  const groups = new Map();
  for (const r of items) {
    const key = `${r.original_currency}|${r.book_currency}`;
    const g = groups.get(key) || { original_currency: r.original_currency, book_currency: r.book_currency, originals: [], carrying: [] };
    g.originals.push(r.original_amount);
    g.carrying.push(r.carrying_amount);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ ...g, items: g.originals.length, original: sumDecimals(g.originals),
    carrying_amount: sumDecimals(g.carrying) })).sort((a, b) => a.original_currency.localeCompare(b.original_currency));
}

function unavailable(error, box) {
  const gone = error instanceof ApiError && (error.status === 404 || error.status === 405);
  fill(box, h("p", { class: gone ? "muted" : "message", role: gone ? null : "alert" },
    gone ? t("fin.unavailable") : t("error.load", { detail: error.message })));
}

async function fxSection(box) {
  const locks = h("div");
  const open = h("div");
  const revalued = h("div");
  fill(box, h("h3", {}, t("fin.locks")), locks, h("h3", {}, t("fin.exposure")), open,
    h("h3", {}, t("fin.revaluations")), revalued);
  try {
    const page = await api("/api/v1/fx/revaluations", { params: { limit: 24 } });
    fill(revalued, page.items.length ? table([
      { label: t("fin.period"), cell: (r) => r.period },
      { label: t("fin.run"), cell: (r) => r.sequence, cls: "num" },
      { label: t("fin.items"), cell: (r) => r.items_count, cls: "num" },
      { label: t("fin.unrealized"), cell: (r) => money(r.total_unrealized, r.book_currency), cls: "num" },
      { label: t("col.when"), cell: (r) => time(r.created_at), cls: "opt" },
    ], page.items, { caption: t("fin.revaluations") }) : h("p", { class: "muted" }, t("fin.revaluations.none")));
  } catch (error) { unavailable(error, revalued); }
  try {
    const page = await api("/api/v1/fx/locks", { params: { limit: 100 } });
    fill(locks, page.items.length ? table(lockColumns(), page.items, { caption: t("fin.locks") })
      : h("p", { class: "muted" }, t("list.empty")));
  } catch (error) { unavailable(error, locks); }
  try {
    const page = await api("/api/v1/fx/receivables", { params: { status: "open", limit: 500 } });
    const rows = exposure(page.items.filter((r) => r.original_currency !== r.book_currency));
    fill(open, rows.length ? table([
      { label: t("fin.original"), cell: (g) => money(g.original, g.original_currency), cls: "num" },
      { label: t("fin.carrying"), cell: (g) => money(g.carrying_amount, g.book_currency), cls: "num" },
      { label: t("fin.items"), cell: (g) => g.items, cls: "num" },
    ], rows, { caption: t("fin.exposure") }) : h("p", { class: "muted" }, t("fin.exposure.none")),
    page.next_cursor ? h("p", { class: "muted" }, t("list.count", { shown: page.items.length, count: page.count, plus: "+" })) : null);
  } catch (error) { unavailable(error, open); }
}

/** The values an API parameter may take (its enum in the OpenAPI document), e.g. the journal layouts. */
async function choices(path, name) {
  const doc = await fetch("/api/openapi.json").then((r) => r.json());
  const param = (doc.paths?.[path]?.get?.parameters || []).find((p) => p.name === name);
  if (!param) return null;
  const schema = param.schema || {};
  return schema.enum || (schema.anyOf || []).flatMap((s) => s.enum || []) || [];
}

async function downloadsSection(box, toast) {
  const layouts = await choices("/api/v1/exports/journals", "layout");
  if (!layouts) { fill(box, h("p", { class: "muted" }, t("fin.unavailable"))); return; }
  const today = new Date();
  const first = new Date(today.getFullYear(), today.getMonth() - 1, 1);
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const message = h("p", { class: "message", role: "status" });
  const journal = h("form", { class: "filters", aria: { label: t("fin.journal.title") } },
    h("div", { class: "field" }, h("label", { for: "j-layout" }, t("fin.layout")),
      h("select", { id: "j-layout", name: "layout" }, layouts.map((l) => h("option", { value: l }, l)))),
    h("div", { class: "field" }, h("label", { for: "j-from" }, t("fin.from")), h("input", { id: "j-from", name: "from", type: "date", required: true, value: iso(first) })),
    h("div", { class: "field" }, h("label", { for: "j-to" }, t("fin.to")), h("input", { id: "j-to", name: "to", type: "date", required: true, value: iso(today) })),
    h("div", { class: "field" }, h("label", { for: "j-entity" }, t("fin.entity")), h("input", { id: "j-entity", name: "entity", maxlength: "64" })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("fin.download"))));
  const settlement = h("form", { class: "filters", aria: { label: t("fin.settlement.title") } },
    h("div", { class: "field" }, h("label", { for: "s-period" }, t("fin.period")),
      h("input", { id: "s-period", name: "period", type: "month", required: true, value: iso(first).slice(0, 7) })),
    h("div", { class: "field" }, h("label", { for: "s-format" }, t("fin.format")),
      h("select", { id: "s-format", name: "format" }, ["xlsx", "csv"].map((f) => h("option", { value: f }, f)))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("fin.download"))));
  const run = (form, path, fallback) => form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const params = Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => v !== ""));
    message.textContent = t("list.loading");
    try {
      const name = await download(path, params, fallback);
      message.textContent = t("fin.downloaded", { name });
      toast(t("fin.downloaded", { name }));
    } catch (error) {
      message.textContent = t("error.load", { detail: error.message });
    }
  });
  run(journal, "/api/v1/exports/journals", "journal");
  run(settlement, "/api/v1/exports/settlement", "settlement");
  fill(box, h("h3", {}, t("fin.journal.title")), journal, h("h3", {}, t("fin.settlement.title")), settlement, message);
}


async function renderFinance(view, params, query) {
  const owner = session.scopeOwner();
  if (!owner) { pickOwner(view, t("finance.title"), t("fin.pick")); return; }
  const values = { check: query.get("check") || "", recon: query.get("recon") || "" };
  const statements = h("div");
  const recon = h("div");
  const counts = h("div", { class: "chips-row" });
  const fx = h("div");
  const downloads = h("div");
  const message = h("p", { class: "message", role: "alert" });
  const check = h("select", { id: "f-check", name: "check" },
    [["", t("orders.filter.any")], ["balanced", t("fin.check.balanced")], ["mismatch", t("fin.check.mismatch")]]
      .map(([v, label]) => h("option", { value: v, selected: v === values.check }, label)));
  fill(view, h("h1", {}, t("finance.title")), h("p", { class: "intro" }, t("fin.intro", { owner })), message,
    section("s-st", t("fin.statements"),
      h("form", { class: "filters", onsubmit: (e) => e.preventDefault() },
        h("div", { class: "field" }, h("label", { for: "f-check" }, t("fin.check")), check)),
      statements),
    section("s-rc", t("fin.recon"), counts, recon),
    section("s-fx", t("fin.fx"), fx),
    section("s-dl", t("fin.downloads"), downloads));
  let stList = null;
  let rcList = null;
  const showStatements = () => {
    stList = showList(statements, stList, message, {
      caption: t("fin.statements"), columns: statementColumns(),
      rowAttrs: (s) => ({ class: s.check === "mismatch" ? "row-bad" : null }),
      fetchPage: pages("/api/v1/settlements/statements", { check: values.check || undefined }),
    });
    return stList.ready;
  };
  const showRecon = () => {
    rcList = showList(recon, rcList, message, {
      caption: t("fin.recon"), columns: reconColumns(),
      rowAttrs: (r) => ({ class: ["over_paid", "under_paid"].includes(r.status) ? "row-bad" : null }),
      fetchPage: pages("/api/v1/settlements/orders", { status: values.recon || undefined }, (answer) => {
        fill(counts, h("ul", { class: "chips" }, ["", ...RECON].map((s) => {
          const n = s ? answer.counts[s] || 0 : Object.values(answer.counts).reduce((a, b) => a + b, 0);
          return h("li", {}, h("button", { type: "button", class: s === values.recon ? "" : "secondary",
            aria: { pressed: String(s === values.recon) },
            onclick: () => { values.recon = s; setQuery(values); showRecon(); } },
          `${s ? t(`recon.${s}`) : t("orders.filter.any")} · ${n}`));
        })));
      }),
    });
    return rcList.ready;
  };
  check.addEventListener("change", () => { values.check = check.value; setQuery(values); showStatements(); });
  await Promise.all([showStatements(), showRecon(), fxSection(fx), downloadsSection(downloads, toast)]);
  return () => { stList?.stop(); rcList?.stop(); };
}

async function renderStatement(view, { platform, shop, id }) {
  const body = h("div");
  fill(view, h("p", {}, link("#/finance", `← ${t("finance.title")}`)), h("h1", {}, t("fin.statement", { id })), body);
  let d;
  try {
    d = await api(`/api/v1/settlements/statements/${enc(platform, shop, id)}`);
  } catch (error) {
    fill(body, h("p", { class: "message", role: "alert" },
      error instanceof ApiError && error.status === 404 ? t("error.notfound") : t("error.load", { detail: error.message })));
    return;
  }
  const s = d.statement;
  fill(body,
    facts([[t("col.shop"), `${s.platform}:${s.shop_id}`], [t("fin.issued"), time(s.issued_at)],
      [t("fin.declared"), money(s.declared_total, s.currency)], [t("fin.lines"), money(s.lines_total, s.currency)],
      [t("fin.difference"), money(s.difference, s.currency)], [t("fin.check"), checkPill(s.check)],
      [t("fin.payout"), money(s.payout, s.currency)], [t("fin.payment"), s.payment_status],
      [t("fin.booked"), s.booked]]),
    section("s-cat", t("fin.categories"), table([
      { label: t("col.kind"), cell: ([k]) => k },
      { label: t("col.total"), cell: ([, v]) => money(v, s.currency), cls: "num" },
    ], Object.entries(d.by_category), { caption: t("fin.categories") })),
    section("s-bk", t("fin.booking"), d.booking ? facts(Object.entries(d.booking).map(([k, v]) => [k, String(v ?? "")]))
      : h("p", { class: "muted" }, t("fin.notbooked")),
    d.journals.length ? table([
      { label: t("fin.journals"), cell: (j) => j.journal_id, cls: "id" },
      { label: t("col.when"), cell: (j) => day(j.date) },
      { label: t("fin.lines"), cell: (j) => j.lines, cls: "num" },
      { label: "", cell: (j) => j.book_currency },
    ], d.journals, { caption: t("fin.journals") }) : null),
    section("s-ln", t("fin.lines"), table([
      { label: t("col.order"), cell: (l) => l.order_id || t("none"), cls: "id" },
      { label: t("col.kind"), cell: (l) => l.kind },
      { label: t("col.detail"), cell: (l) => l.raw_kind || l.description || "", cls: "opt" },
      { label: t("col.total"), cell: (l) => money(l.amount, l.currency), cls: "num" },
      { label: t("col.when"), cell: (l) => time(l.occurred_at), cls: "opt" },
    ], d.lines, { caption: t("fin.lines") })));
}

route({ pattern: "/finance", nav: "nav.finance", permission: "read_money", render: renderFinance });
route({ pattern: "/finance/statements/:platform/:shop/:id", permission: "read_money", render: renderStatement });
