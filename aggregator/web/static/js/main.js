// Starts the web app: sign-in, navigation by role, the owner picker, the language switch, the global
// search box, the live connection and its badge of new exceptions. Nothing but the sign-in form is
// shown until the API accepted the key (GET /api/v1/me); a rejected key shows only why.
import { ApiError, api, session } from "./api.js";
import { fill, h } from "./dom.js";
import { apply, lang, setLang, t } from "./i18n.js";
import { live } from "./live.js";
import { go, pages, render } from "./router.js";
import "./pages/index.js";

const $ = (id) => document.getElementById(id);
let unseen = 0;

function showApp(signedIn) {
  document.body.classList.toggle("signed-out", !signedIn);
  for (const el of document.querySelectorAll(".app-only")) el.hidden = !signedIn;
  $("signin").hidden = signedIn;
  if (!signedIn) fill($("view"));
  renderBadge();
  renderOwnerPicker();
}

function renderNav() {
  const list = $("nav").querySelector("ul");
  const current = location.hash.replace(/\?.*/, "");
  fill(list, pages().filter((p) => p.nav && session.can(p.permission)).map((p) => {
    const href = `#${p.pattern}`;
    const active = current === href || current.startsWith(`${href}/`);
    return h("li", {}, h("a", { href, aria: active ? { current: "page" } : {} }, t(p.nav)));
  }));
}

function renderWho() {
  const me = session.me;
  if (!me) return;
  $("whoami").textContent = t("signed.as", {
    role: t(`role.${me.role}`),
    owner: me.bound_owner_id ? t("signed.owner", { owner: me.bound_owner_id }) : "",
  });
}

async function renderOwnerPicker() {
  const box = document.querySelector(".owner-pick");
  if (!session.me || session.me.bound_owner_id) { box.hidden = true; return; }
  box.hidden = false;
  const pick = $("owner-pick");
  try {
    const owners = await api("/api/v1/owners", { owner: false });
    fill(pick, h("option", { value: "" }, t("owner.all")),
      owners.map((o) => h("option", { value: o.owner_id, selected: o.owner_id === session.owner },
        `${o.owner_id} · ${o.name}`)));
    if (session.owner && !owners.some((o) => o.owner_id === session.owner)) session.setOwner("");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
  }
}

function renderBadge() {
  const badge = $("live-badge");
  badge.hidden = !session.me || unseen === 0;
  badge.textContent = t("live.badge", { n: unseen });
  badge.setAttribute("aria-label", t("live.badge.label", { n: unseen }));
}

function renderLiveState() {
  const state = $("live-state");
  state.textContent = live.connected ? t("live.on") : t("live.off");
  state.classList.toggle("on", live.connected);
}

function toast(message) {
  const el = $("toast");
  el.textContent = message;
  el.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove("show"), 6000);
}
window.addEventListener("toast", (e) => toast(e.detail));

async function signIn(key, { silent = false } = {}) {
  const message = $("signin-message");
  message.textContent = silent ? "" : t("signin.checking");
  try {
    await session.signIn(key);
  } catch (error) {
    showApp(false);
    message.textContent = error instanceof ApiError
      ? t(silent ? "signin.expired" : "signin.rejected", { detail: error.message })
      : t("error.load", { detail: error.message });
    $("api-key").focus();
    return;
  }
  message.textContent = "";
  $("api-key").value = "";
}

session.addEventListener("signedin", () => {
  showApp(true);
  renderWho();
  renderNav();
  unseen = 0;
  renderBadge();
  live.start();
  render();
});

session.addEventListener("signedout", (e) => {
  live.stop();
  showApp(false);
  $("signin-message").textContent = e.detail ? t("signin.expired", { detail: e.detail }) : "";
  history.replaceState(null, "", location.pathname);
});

session.addEventListener("owner", () => {
  if (!session.me) return;
  $("owner-pick").value = session.owner; // the choice may come from a page (finance asks for one)
  live.start();
  render();
});

live.addEventListener("exception.opened", () => {
  if (location.hash.startsWith("#/exceptions")) return;
  unseen += 1;
  renderBadge();
});
live.addEventListener("connected", renderLiveState);
live.addEventListener("disconnected", renderLiveState);

document.addEventListener("routechange", (e) => {
  renderNav();
  if (e.detail.path.startsWith("/exceptions")) { unseen = 0; renderBadge(); }
});

$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const key = $("api-key").value.trim();
  if (key) signIn(key);
});
$("logout").addEventListener("click", () => session.signOut(""));
$("owner-pick").addEventListener("change", (e) => session.setOwner(e.target.value));
$("search").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("search-box").value.trim();
  if (q) go(`#/search?q=${encodeURIComponent(q)}`);
});
$("lang").addEventListener("click", () => {
  setLang(lang() === "zh" ? "en" : "zh");
  apply();
  if (session.me) {
    renderWho();
    renderNav();
    renderBadge();
    renderLiveState();
    renderOwnerPicker();
    render();
  }
});

apply();
showApp(false);
$("signin").hidden = true; // until the stored key (if any) is checked
if (session.key) {
  signIn(session.key, { silent: true });
} else {
  $("signin").hidden = false;
}
