// Where each kind of record lives in the app: the hash of its page, built from the key the API names
// it by (GET /api/v1/lookup answers {kind, owner_id, key}; the order chain names documents and entries).
const enc = (parts) => parts.map((p) => encodeURIComponent(p)).join("/");

export function containerHref(no) { return `#/containers/${enc([no])}`; }
export function documentHref(owner, no) { return `#/documents/${enc([owner, no])}`; }
export function customsHref(owner, country, no) { return `#/customs/${enc([owner, country, no])}`; }
export function receiptHref(owner, warehouse, asn, lot) {
  return `#/receipts/${enc([owner, warehouse, asn])}${lot ? `?lot=${encodeURIComponent(lot)}` : ""}`;
}
export function lotHref(owner, warehouse, lot) { return `#/lots/${enc([owner, warehouse, lot])}`; }
export function searchHref(q) { return `#/search?q=${encodeURIComponent(q)}`; }

/** The page of a lookup hit. */
export function hitHref(hit, q) {
  const k = hit.key;
  switch (hit.kind) {
    case "container": return containerHref(k[0]);
    case "transport_document": return documentHref(k[0], k[1]);
    case "customs_entry": return customsHref(k[0], k[1], k[2]);
    case "receipt": return receiptHref(k[0], k[1], k[2]);
    case "lot": return lotHref(k[0], k[1], k[2]);
    case "sku": return `#/orders?sku=${encodeURIComponent(k[1])}`;
    default: return searchHref(q);
  }
}

/** The identifier of a hit as shown (its own number, not the owner). */
export function hitRecord(hit, q) {
  const k = hit.key;
  switch (hit.kind) {
    case "container": return k[0];
    case "transport_document": return k[1];
    case "customs_entry": return `${k[1]} ${k[2]}`;
    case "receipt": return `${k[1]} · ${k[2]}`;
    case "lot": return `${k[2]} (${k[1]})`;
    default: return k[k.length - 1];
  }
}
