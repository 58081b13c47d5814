// Chinese and English text of the web app, and the switch between them.
//
// t("key", {name: value}) returns the text in the current language with {name} filled in; a key
// missing from the current language falls back to English, a key missing from both is shown as
// itself (so a forgotten entry is visible, never blank). Elements carrying data-i18n (text),
// data-i18n-placeholder, data-i18n-label (aria-label) and data-i18n-title are filled by apply().
// Identifiers, codes and amounts are never translated; statuses and steps are, by their code.

// key → [English, Chinese] (null: not translated, English is shown)
const TEXTS = {
  "app.title": ["Cross-border aggregator", "跨境聚合平台"],
  "app.brand": ["Order-to-delivery", "订单到交付"],
  "skip": ["Skip to content", "跳到正文"],
  "lang.switch": ["中文", "English"],
  "lang.switch.label": ["切换到中文", "Switch to English"],
  "signin.title": ["Sign in", "登录"],
  "signin.intro": [
    "Sign in with an API key (agk_…) made with 'aggregator keys create' or printed by 'aggregator owners add'. The key stays in this browser tab only.",
    "用 API 密钥（agk_…）登录：由 'aggregator keys create' 创建，或由 'aggregator owners add' 打印。密钥只保存在本浏览器标签页中。",
  ],
  "signin.key": ["API key", "API 密钥"],
  "signin.submit": ["Sign in", "登录"],
  "signin.checking": ["Checking the key…", "正在验证密钥…"],
  "signin.rejected": ["That API key was not accepted ({detail}).", "密钥未被接受（{detail}）。"],
  "signin.expired": ["Your key is no longer accepted ({detail}). Sign in again.", "密钥已不再有效（{detail}），请重新登录。"],
  "signout": ["Sign out", "退出"],
  "signed.as": ["{role} key{owner}", "{role}密钥{owner}"],
  "signed.owner": [" · owner {owner}", " · 货主 {owner}"],
  "role.admin": ["admin", "管理员"],
  "role.operations": ["operations", "运营"],
  "role.finance": ["finance", "财务"],
  "role.owner-viewer": ["owner viewer", "货主只读"],
  "owner.pick": ["Owner", "货主"],
  "owner.all": ["All owners", "全部货主"],
  "nav.label": ["Pages", "页面"],
  "nav.search": ["Search", "搜索"],
  "nav.orders": ["Orders", "订单"],
  "nav.exceptions": ["Exceptions", "异常"],
  "nav.title": ["Title in transit", "在途货权"],
  "nav.shops": ["Shops", "店铺"],
  "nav.runs": ["Sync runs", "同步记录"],
  "nav.finance": ["Finance", "财务"],
  "search.label": ["Search any identifier", "搜索任意单号"],
  "search.placeholder": ["Order, tracking, container, BL, customs, ASN, lot, SKU…", "订单、运单、集装箱、提单、报关单、入库单、批次、SKU…"],
  "search.submit": ["Search", "搜索"],
  "search.title": ["Search: {q}", "搜索：{q}"],
  "search.none": ["Nothing of yours carries “{q}”.", "没有找到带有“{q}”的记录。"],
  "search.hits": ["{n} records carry “{q}”.", "{n} 条记录带有“{q}”。"],
  "search.found": ["“{q}”: {records} record(s) and {orders} order(s).", "“{q}”：{records} 条记录，{orders} 个订单。"],
  "search.empty": ["Type an identifier in the search box above.", "请在上方搜索框输入单号。"],
  "search.records": ["Records", "记录"],
  "search.orders": ["Orders", "订单"],
  "search.shared": ["shared (per owner inside)", "共用（内含各货主）"],
  "search.kind": ["Kind", "类型"],
  "search.record": ["Record", "记录"],
  "search.owner": ["Owner", "货主"],
  "search.detail": ["Detail", "详情"],
  "kind.order": ["Order", "订单"],
  "kind.container": ["Container", "集装箱"],
  "kind.transport_document": ["Bill of lading / AWB", "提单 / 空运单"],
  "kind.customs_entry": ["Customs entry", "报关单"],
  "kind.receipt": ["Receipt (ASN)", "入库单（ASN）"],
  "kind.lot": ["Lot", "批次"],
  "kind.sku": ["SKU", "SKU"],
  "kind.outbound": ["Warehouse shipment", "仓库出库单"],
  "kind.tracking": ["Tracking number", "运单号"],
  "kind.package": ["Package", "包裹"],
  "live.badge": ["New exceptions: {n}", "新异常：{n}"],
  "live.badge.label": ["{n} new exceptions since you last looked", "自上次查看以来有 {n} 个新异常"],
  "live.on": ["Live", "实时"],
  "live.off": ["Reconnecting…", "正在重连…"],
  "live.updated": ["Updated live", "已实时更新"],
  "live.new.orders": ["{n} new or changed orders — show", "{n} 个新订单或状态变化 — 显示"],
  "list.more": ["Load more", "加载更多"],
  "list.per": ["Per page", "每页"],
  "list.loading": ["Loading…", "加载中…"],
  "list.count": ["{shown} of {count}{plus}", "{shown} / {count}{plus}"],
  "list.empty": ["Nothing here.", "暂无记录。"],
  "list.end": ["End of the list.", "已到末尾。"],
  "error.load": ["Could not load: {detail}", "无法加载：{detail}"],
  "error.forbidden": ["Your role may not see this page.", "您的角色无权查看此页面。"],
  "error.notfound": ["Not found (or not yours).", "未找到（或不属于您）。"],
  "page.notfound": ["There is no such page.", "没有这个页面。"],
  "col.platform": ["Platform", "平台"],
  "col.shop": ["Shop", "店铺"],
  "col.order": ["Order", "订单"],
  "col.status": ["Status", "状态"],
  "col.total": ["Total", "金额"],
  "col.updated": ["Updated", "更新时间"],
  "col.ordered": ["Ordered", "下单时间"],
  "col.owner": ["Owner", "货主"],
  "col.region": ["Region", "站点"],
  "col.name": ["Name", "名称"],
  "col.line": ["Line", "行"],
  "col.sku": ["SKU", "SKU"],
  "col.qty": ["Qty", "数量"],
  "col.price": ["Unit price", "单价"],
  "col.package": ["Package", "包裹"],
  "col.tracking": ["Tracking", "运单号"],
  "col.carrier": ["Carrier", "承运商"],
  "col.id": ["#", "编号"],
  "col.source": ["Source", "来源"],
  "col.kind": ["Kind", "类型"],
  "col.record": ["Record", "记录"],
  "col.reason": ["Reason", "原因"],
  "col.since": ["Since", "发生时间"],
  "col.age": ["Age", "时长"],
  "col.stream": ["Stream", "数据流"],
  "col.started": ["Started", "开始"],
  "col.finished": ["Finished", "结束"],
  "col.duration": ["Duration", "耗时"],
  "col.created": ["Created", "新增"],
  "col.changed": ["Updated", "更新"],
  "col.unchanged": ["Unchanged", "未变"],
  "col.stale": ["Stale", "过期"],
  "col.failed": ["Failed", "失败"],
  "col.unknown": ["Unknown status", "未知状态"],
  "col.deferred": ["Deferred to a push", "留待推送重读"],
  "col.error": ["Error", "错误"],
  "col.cursor": ["Cursor after", "游标"],
  "col.mode": ["Mode", "模式"],
  "col.when": ["When", "时间"],
  "col.detail": ["Detail", "说明"],
  "col.step": ["Step", "环节"],
  "col.attempts": ["Attempts", "尝试次数"],
  "orders.title": ["Orders", "订单"],
  "orders.filter.q": ["Identifier", "单号"],
  "orders.filter.q.placeholder": ["order, line, package, tracking, container, BL…", "订单、行、包裹、运单、集装箱、提单…"],
  "orders.filter.status": ["Status", "状态"],
  "orders.filter.platform": ["Platform", "平台"],
  "orders.filter.sku": ["SKU", "SKU"],
  "orders.filter.from": ["Ordered from", "下单起"],
  "orders.filter.to": ["Ordered before", "下单止（不含）"],
  "orders.filter.any": ["any", "全部"],
  "orders.filter.apply": ["Filter", "筛选"],
  "orders.filter.clear": ["Clear", "清除"],
  "order.title": ["Order {id}", "订单 {id}"],
  "order.back": ["← Orders", "← 订单"],
  "order.summary": ["Summary", "概要"],
  "order.chain": ["Chain", "链路"],
  "order.chain.intro": [
    "From the order to the goods behind it and on to delivery and payout. Each step shows when, from which source, how it was linked and with what confidence, and who holds title, risk and custody there.",
    "从订单追溯到背后的货物，再到交付和回款。每一环显示时间、来源、关联方式与置信度，以及此时谁持有货权、风险和保管。",
  ],
  "order.chain.none": [
    "Not linked to any lot yet (matching has not found the warehouse shipment, or it has not run).",
    "尚未关联到批次（匹配尚未找到仓库出库记录，或尚未运行）。",
  ],
  "order.lines": ["Lines", "订单行"],
  "order.packages": ["Packages", "包裹"],
  "order.timeline": ["Timeline", "时间线"],
  "order.raw_status": ["Platform status", "平台状态"],
  "order.buyer_country": ["Buyer country", "买家国家"],
  "order.paid": ["Paid", "付款时间"],
  "chain.lane": ["Line {line} · lot {lot}", "行 {line} · 批次 {lot}"],
  "chain.lane.unlinked": ["Line {line} · not linked", "行 {line} · 未关联"],
  "chain.at": ["at", "时间"],
  "chain.source": ["source", "来源"],
  "chain.method": ["link", "关联"],
  "chain.confidence": ["confidence", "置信度"],
  "chain.title": ["title", "货权"],
  "chain.risk": ["risk", "风险"],
  "chain.custody": ["custody", "保管"],
  "chain.documents": ["documents", "单据"],
  "chain.vessel": ["vessel / voyage", "船名 / 航次"],
  "chain.onboard": ["on board", "装船"],
  "chain.eta": ["ETA", "预计到港"],
  "chain.ata": ["ATA", "实际到港"],
  "chain.etd": ["ETD", "预计离港"],
  "chain.pol": ["loading", "装货港"],
  "chain.pod": ["discharge", "卸货港"],
  "chain.missing": ["not reached yet", "尚未到达"],
  "chain.picture.label": ["Chain of order {id}", "订单 {id} 的链路"],
  "step.order": ["Order", "订单"],
  "step.lines": ["Line", "订单行"],
  "step.package": ["Package / tracking", "包裹 / 运单"],
  "step.shipment": ["Warehouse shipment", "仓库出库"],
  "step.lot": ["Lot", "批次"],
  "step.receipt": ["Receipt (ASN)", "入库（ASN）"],
  "step.container": ["Container", "集装箱"],
  "step.document": ["Bill of lading", "提单"],
  "step.customs": ["Customs entry", "报关"],
  "step.delivery": ["Delivery", "妥投"],
  "step.payout": ["Payout", "回款"],
  "tl.ordered": ["ordered", "下单"],
  "tl.paid": ["paid", "付款"],
  "tl.dispatched": ["dispatched", "出库发货"],
  "tl.delivered": ["delivered", "妥投"],
  "tl.returned": ["returned", "退回"],
  "tl.lot": ["allocated from lot", "从批次分配"],
  "tl.received": ["received at warehouse", "仓库收货"],
  "tl.on_board": ["shipped on board", "装船"],
  "tl.arrived": ["arrived", "到港"],
  "tl.customs_released": ["customs released", "海关放行"],
  "tl.customs_lodged": ["customs lodged", "报关申报"],
  "tl.settled": ["settled", "结算"],
  "tl.cancelled": ["cancelled", "取消"],
  "tl.written_off": ["written off (returned goods disposed of)", "退货报废核销"],
  "exceptions.title": ["Exceptions", "异常"],
  "exceptions.intro": [
    "Everything a person must look at: records parked by a sync or an import, links the matcher could not make.",
    "所有需要人工处理的事项：同步或导入搁置的记录、匹配无法建立的关联。",
  ],
  "exceptions.filter.kind": ["Kind", "类型"],
  "exceptions.filter.status": ["Status", "状态"],
  "exceptions.filter.age": ["Older than", "早于"],
  "exceptions.age.any": ["any age", "不限"],
  "exceptions.age.1h": ["1 hour", "1 小时"],
  "exceptions.age.1d": ["1 day", "1 天"],
  "exceptions.age.7d": ["7 days", "7 天"],
  "exceptions.status.open": ["open", "待处理"],
  "exceptions.status.retried": ["retried", "已重试"],
  "exceptions.status.resolved": ["resolved", "已解决"],
  "exceptions.detail": ["Exception {id}", "异常 {id}"],
  "exceptions.payload": ["Raw record as received", "收到的原始记录"],
  "exceptions.candidates": ["Candidates", "候选"],
  "exceptions.candidates.none": ["No candidate: fix the source record, then retry.", "没有候选：请修正源记录后重试。"],
  "exceptions.pick": ["Link to this one", "关联到此项"],
  "exceptions.resolve": ["Resolve", "标记解决"],
  "exceptions.retry": ["Retry", "重试"],
  "exceptions.note": ["Note (kept in the audit log)", "备注（记入审计日志）"],
  "exceptions.select": ["Select {id}", "选择 {id}"],
  "exceptions.select.all": ["Select all shown", "选择本页全部"],
  "exceptions.bulk": ["{n} selected", "已选 {n} 项"],
  "exceptions.bulk.retry": ["Retry selected", "重试所选"],
  "exceptions.bulk.resolve": ["Resolve selected", "解决所选"],
  "exceptions.done": ["{n} done, {failed} refused", "完成 {n} 项，拒绝 {failed} 项"],
  "exceptions.readonly": ["Your role can look, not act.", "您的角色只能查看，不能处理。"],
  "shops.title": ["Shops", "店铺"],
  "shops.auth": ["Authorization", "授权"],
  "shops.authorized": ["authorized", "已授权"],
  "shops.unauthorized": ["not authorized", "未授权"],
  "shops.reauth": ["needs re-authorization", "需要重新授权"],
  "shops.expires": ["Access token", "访问令牌"],
  "shops.refresh": ["Refresh token", "刷新令牌"],
  "shops.expired": ["expired {ago} ago", "已过期 {ago}"],
  "shops.expires.in": ["expires in {left}", "{left} 后过期"],
  "shops.reauth.link": ["Re-authorize", "重新授权"],
  "shops.reauth.how": [
    "Re-authorize with: aggregator shops authorize {shop} --redirect-url URL",
    "重新授权：aggregator shops authorize {shop} --redirect-url URL",
  ],
  "shops.streams": ["Streams", "数据流"],
  "shops.lag": ["lag {lag}", "延迟 {lag}"],
  "shops.last": ["last run {status} {when}", "上次运行 {status} {when}"],
  "shops.never": ["never synced", "从未同步"],
  "runs.title": ["Sync runs", "同步记录"],
  "runs.filter.status": ["Status", "状态"],
  "runs.filter.stream": ["Stream", "数据流"],
  "title.title": ["Title in transit", "在途货权"],
  "finance.title": ["Finance", "财务"],
  "status.UNPAID": ["unpaid", "未付款"],
  "status.READY_TO_SHIP": ["ready to ship", "待发货"],
  "status.PROCESSING": ["processing", "处理中"],
  "status.SHIPPED": ["shipped", "已发货"],
  "status.DELIVERED": ["delivered", "已妥投"],
  "status.COMPLETED": ["completed", "已完成"],
  "status.CANCELLING": ["cancelling", "取消中"],
  "status.CANCELLED": ["cancelled", "已取消"],
  "status.RETURNING": ["returning", "退货中"],
  "status.RETURNED": ["returned", "已退货"],
  "status.LOST": ["lost", "丢失"],
  "status.UNKNOWN": ["unknown", "未知"],
  "run.running": ["running", "运行中"],
  "run.succeeded": ["succeeded", "成功"],
  "run.partial": ["partial", "部分成功"],
  "run.failed": ["failed", "失败"],
  "run.abandoned": ["abandoned", "已放弃"],
  "yes": ["yes", "是"],
  "no": ["no", "否"],
  "none": ["—", "—"],
  "export.svg": ["Download SVG", "下载 SVG"],
  "export.png": ["Download PNG", "下载 PNG"],
  "export.table": ["Show as a table", "以表格显示"],
  "export.chart": ["Show as a chart", "以图表显示"],
  "ago": ["{t} ago", "{t}前"],
  "in": ["in {t}", "{t}后"],
};

const LANGS = ["en", "zh"];
const DICTS = { en: {}, zh: {} };
const STORE = "aggregatorLang";
add(TEXTS);
let current = pick();

function pick() {
  const saved = localStorage.getItem(STORE);
  if (saved && DICTS[saved]) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** Register texts (the base table above, a page module's own): add({key: [English, Chinese]}); each key is
 * written once with every language beside it (null: not translated, English is shown). */
export function add(texts) {
  for (const [key, values] of Object.entries(texts)) {
    LANGS.forEach((code, i) => { if (values[i] !== null && values[i] !== undefined) DICTS[code][key] = values[i]; });
  }
}

export function lang() { return current; }

/** The BCP 47 tag for Intl formatting. */
export function locale() { return current === "zh" ? "zh-CN" : "en-GB"; }

export function setLang(code) {
  if (!DICTS[code]) throw new Error(`unknown language ${code}`);
  current = code;
  localStorage.setItem(STORE, code);
  document.documentElement.lang = code === "zh" ? "zh-CN" : "en";
}

export function t(key, vars) {
  let text = DICTS[current][key] ?? DICTS.en[key] ?? key;
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  return text;
}

/** t() for a code in a family ("status", "SHIPPED"); an unknown code is shown as is. */
export function code(family, value) {
  if (value === null || value === undefined || value === "") return "";
  const key = `${family}.${value}`;
  return key in DICTS[current] || key in DICTS.en ? t(key) : String(value);
}

/** Fill the data-i18n* attributes under root. */
export function apply(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  document.title = t("app.title");
}

document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
