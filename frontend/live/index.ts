// Live debate and replay pages: read what the server embedded (json_script), build the store,
// render from it, and either follow the debate live or drive the replay.
import { LiveClient } from "./client";
import { Announcer } from "./announce";
import { ReplayController } from "./replay";
import {
  createLiveStore,
  type DebateEvent,
  initialState,
  type LiveConfig,
  receiveAll,
  type Rendered,
  setConnection,
} from "./store";
import { DebateView, type Strings } from "./view";

interface PageConfig extends LiveConfig {
  socketPath: string;
  renderedUrl: string;
  finished: boolean;
}

function embedded<T>(id: string, fallback: T): T {
  const node = document.getElementById(id);
  if (!node?.textContent) return fallback;
  try {
    return JSON.parse(node.textContent) as T;
  } catch {
    return fallback;
  }
}

function start(root: HTMLElement): void {
  const config = embedded<PageConfig | null>("live-config", null);
  if (!config) return;
  const events = embedded<DebateEvent[]>("live-events", []);
  const rendered = embedded<Rendered>("live-rendered", { turns: {}, synthesis: null });
  const strings = embedded<Strings>("live-strings", {});
  const store = createLiveStore(initialState(config, rendered));
  const mode = root.dataset.liveMode;

  if (mode === "replay") {
    // Start before the first event: the question and the panel, then play (or seek).
    setConnection(store, "closed");
    new DebateView(root, store, strings, { live: false }).mount();
    new ReplayController(root, store, events, strings).mount();
    return;
  }

  receiveAll(store, events);
  new DebateView(root, store, strings, { live: true }).mount();
  new Announcer(root, store, strings).mount();
  // Completed turns are rendered in the browser (./markdown.ts): no /rendered/ round-trip.
  const client = new LiveClient(store, { socketPath: config.socketPath });
  client.start();
  window.addEventListener("online", () => client.retryNow());
}

function boot(): void {
  document.querySelectorAll<HTMLElement>("[data-live-mode]").forEach(start);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
