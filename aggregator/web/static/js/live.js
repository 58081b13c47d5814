// Live updates: the API's Server-Sent Events (GET /api/v1/events) read with fetch, because a browser's
// EventSource cannot send the Authorization header. Each event is re-dispatched as a DOM event
// ("order.created", "exception.opened", …, and "any") whose detail is the event's JSON. After a
// dropped connection the reader comes back with Last-Event-ID, so nothing in between is missed;
// it waits 1, 2, 4 … up to 15 s between attempts. A 401 stops it (the session signs out).
import { ApiError, session, url } from "./api.js";

export const live = new (class extends EventTarget {
  constructor() {
    super();
    this.controller = null;
    this.lastId = null;
    this.connected = false;
  }

  start() {
    this.stop();
    const controller = new AbortController();
    this.controller = controller;
    this.lastId = null;
    this.loop(controller);
  }

  stop() {
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.setConnected(false);
  }

  setConnected(value) {
    if (this.connected === value) return;
    this.connected = value;
    this.dispatchEvent(new Event(value ? "connected" : "disconnected"));
  }

  async loop(controller) {
    let wait = 1000;
    while (!controller.signal.aborted) {
      try {
        await this.read(controller);
        wait = 1000;
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
          this.setConnected(false);
          if (error.status === 401) session.signOut(error.message);
          return;
        }
      }
      this.setConnected(false);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 15000);
    }
  }

  async read(controller) {
    const owner = session.scopeOwner();
    const params = owner && !session.me?.bound_owner_id ? { owner } : {};
    const headers = { Authorization: `Bearer ${session.key}`, Accept: "text/event-stream" };
    if (this.lastId) headers["Last-Event-ID"] = this.lastId;
    const response = await fetch(url("/api/v1/events", params), { headers, signal: controller.signal, cache: "no-store" });
    if (!response.ok) {
      throw new ApiError(response.status, await response.json().catch(() => ({})));
    }
    this.setConnected(true);
    this.dispatchEvent(new Event("open"));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let event = {};
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (event.data !== undefined) this.deliver(event);
          event = {};
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const name = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          event[name] = name === "data" && event.data !== undefined ? `${event.data}\n${text}` : text;
        }
      }
    }
  }

  deliver(event) {
    if (event.id) this.lastId = event.id;
    let payload;
    try {
      payload = JSON.parse(event.data);
    } catch {
      return;
    }
    const topic = event.event || payload.topic;
    this.dispatchEvent(new CustomEvent(topic, { detail: payload }));
    this.dispatchEvent(new CustomEvent("any", { detail: payload }));
  }
})();

/** Listen to topic until the returned function is called (pages call it when they are left). */
export function on(topic, handler) {
  const listener = (e) => handler(e.detail);
  live.addEventListener(topic, listener);
  return () => live.removeEventListener(topic, listener);
}
