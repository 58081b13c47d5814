// The owner chooser of the pages kept per owner (finance, analytics): for a key that sees every owner and
// has not chosen one yet, the page's title, why it needs an owner, and one button per owner.
import { api, session } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";

/** Fill view with the chooser: title and why (texts), then the owners from /api/v1/owners. */
export function pickOwner(view, title, why) {
  const list = h("ul", { class: "chips" });
  fill(view, h("h1", {}, title), h("p", { class: "intro" }, why), list);
  api("/api/v1/owners", { owner: false }).then((owners) => fill(list, owners.map((o) => h("li", {},
    h("button", { type: "button", class: "secondary", onclick: () => session.setOwner(o.owner_id) }, `${o.owner_id} · ${o.name}`)))))
    .catch((error) => fill(list, h("li", { class: "message" }, t("error.load", { detail: error.message }))));
}
