/**
 * The live connection: a WebSocket to /ws/debates/<id>/?after=<lastSeq>&batch=1 that feeds the
 * store. `batch=1`: events ready together (a stage's start, a catch-up) come as one message,
 * `{"type": "batch", "events": [...]}`, in order; a lone event comes as itself.
 *
 * Interrupted connections come back on their own, with exponential backoff and jitter from
 * 1 s to 30 s, and resume after the last event received: the server sends only what the
 * store lacks, and the store ignores anything it already has. The server closes with 1000
 * after the debate's final event; 4400/4401/4403/4404 mean "do not retry". 4429 (over the
 * caller's per-minute rate limit) comes after one `{"type": "error", "error": {...}}` message
 * whose `retry_after` says how many seconds to wait: the next attempt waits that long.
 */
import {
  addRendered,
  isFinished,
  type DebateEvent,
  type LiveStore,
  markReconnected,
  receive,
  type Rendered,
  setConnection,
} from "./store";

/** Several events in one message, in order (the socket asks for them with `batch=1`). */
interface Batch {
  type: "batch";
  events: DebateEvent[];
}

function isBatch(data: DebateEvent | Batch | Refusal): data is Batch {
  return data.type === "batch" && Array.isArray((data as Batch).events);
}

/** Why the server is about to close the socket (the API's error shape, in `error`). */
interface Refusal {
  type: "error";
  error: { code: string; detail: string; retry_after?: number };
}

function isRefusal(data: DebateEvent | Batch | Refusal): data is Refusal {
  return data.type === "error" && typeof (data as Refusal).error === "object";
}

export const MIN_RETRY_MS = 1000;
export const MAX_RETRY_MS = 30_000;
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4404]);
const RATE_LIMITED_CLOSE_CODE = 4429;
/** Over the rate limit without a `retry_after`: wait out a whole window. */
const RATE_LIMITED_RETRY_MS = 60_000;

/**
 * The wait before reconnect attempt `attempt` (1, 2, ...): the exponential step, of which the
 * upper half is random ("equal jitter"), so a server restart is not met by every browser at
 * once; never under 1 s, never over 30 s.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** Math.max(0, attempt - 1));
  const delay = step / 2 + random() * (step / 2);
  return Math.round(Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, delay)));
}

export interface SocketLike {
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface ClientOptions {
  /** e.g. "/ws/debates/<id>/"; the page's host and scheme are added. */
  socketPath: string;
  openSocket?: (url: string) => SocketLike;
  random?: () => number;
  now?: () => number;
  schedule?: (callback: () => void, ms: number) => number;
  cancel?: (handle: number) => void;
}

export class LiveClient {
  private readonly store: LiveStore;
  private readonly options: Required<ClientOptions>;
  private socket: SocketLike | null = null;
  private attempt = 0;
  private timer: number | null = null;
  private stopped = false;
  private interrupted = false;
  /** The wait the server asked for before it closed with 4429 (ms). */
  private retryAfterMs: number | null = null;

  constructor(store: LiveStore, options: ClientOptions) {
    this.store = store;
    this.options = {
      openSocket: (url) => new WebSocket(url),
      random: Math.random,
      now: () => Date.now(),
      schedule: (callback, ms) => window.setTimeout(callback, ms),
      cancel: (handle) => window.clearTimeout(handle),
      ...options,
    };
  }

  url(): string {
    const { location } = window;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const after = this.store.getState().lastSeq;
    return `${scheme}//${location.host}${this.options.socketPath}?after=${after}&batch=1`;
  }

  start(): void {
    this.stopped = false;
    if (isFinished(this.store.getState())) {
      setConnection(this.store, "closed");
      return;
    }
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.options.cancel(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
  }

  /** Try now instead of waiting out the backoff (the browser says it is online again). */
  retryNow(): void {
    if (this.stopped || this.socket !== null || this.timer === null) return;
    this.options.cancel(this.timer);
    this.timer = null;
    this.connect();
  }

  private connect(): void {
    this.timer = null;
    if (!this.interrupted) setConnection(this.store, "connecting");
    let socket: SocketLike;
    try {
      socket = this.options.openSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      setConnection(this.store, "open");
      if (this.interrupted) markReconnected(this.store, this.options.now());
      this.interrupted = false;
    };
    socket.onmessage = (message: MessageEvent) => {
      if (this.socket !== socket) return;
      let data: DebateEvent | Batch | Refusal;
      try {
        data = JSON.parse(String(message.data)) as DebateEvent | Batch | Refusal;
      } catch {
        return;
      }
      if (isRefusal(data)) {
        const seconds = Number(data.error.retry_after);
        this.retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
      } else if (isBatch(data)) {
        for (const event of data.events) receive(this.store, event);
      } else {
        receive(this.store, data);
      }
    };
    socket.onerror = () => {
      // A close event always follows; reconnecting is decided there.
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.closed(event.code);
    };
  }

  private closed(code: number): void {
    if (this.stopped) return;
    if (isFinished(this.store.getState()) || FATAL_CLOSE_CODES.has(code)) {
      setConnection(this.store, "closed");
      return;
    }
    const retryAfterMs = this.retryAfterMs;
    this.retryAfterMs = null;
    if (code === RATE_LIMITED_CLOSE_CODE) {
      this.scheduleReconnect(retryAfterMs ?? RATE_LIMITED_RETRY_MS, "rate_limited");
      return;
    }
    this.scheduleReconnect();
  }

  /**
   * The next attempt, after the backoff, or after `atLeastMs` when the server asked for a wait
   * (plus up to a second of jitter, so the sockets it refused together do not return together),
   * and why when the server said (the banner tells the reader).
   */
  private scheduleReconnect(atLeastMs = 0, reason?: string): void {
    this.attempt += 1;
    this.interrupted = true;
    const backoffMs = backoffDelay(this.attempt, this.options.random);
    const delayMs =
      atLeastMs > 0
        ? Math.round(Math.max(backoffMs, atLeastMs + this.options.random() * MIN_RETRY_MS))
        : backoffMs;
    setConnection(this.store, "reconnecting", {
      delayMs,
      at: this.options.now() + delayMs,
      reason,
    });
    this.timer = this.options.schedule(() => this.connect(), delayMs);
  }
}

/**
 * Fetches the sanitised HTML of turns (and the chair's answer) that completed while the page
 * was open; until it arrives they show as plain text.
 */
export class RenderedLoader {
  private readonly store: LiveStore;
  private readonly url: string;
  private readonly requested = new Set<string>();
  private synthesisRequested = false;
  private pending: number | null = null;
  private pausedUntil = 0;
  private readonly fetcher: (url: string) => Promise<Partial<Rendered>>;

  constructor(
    store: LiveStore,
    url: string,
    fetcher?: (url: string) => Promise<Partial<Rendered>>,
  ) {
    this.store = store;
    this.url = url;
    this.fetcher =
      fetcher ??
      (async (target) => {
        const response = await fetch(target, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return (await response.json()) as Partial<Rendered>;
      });
  }

  start(): () => void {
    return this.store.subscribe(() => this.check());
  }

  /** What is complete but not rendered yet, and not already asked for. */
  missing(): { turns: string[]; synthesis: boolean } {
    const state = this.store.getState();
    const turns = Object.values(state.turns)
      .filter((turn) => turn.status === "completed" && turn.turnId && turn.html === null)
      .map((turn) => turn.turnId as string)
      .filter((id) => !this.requested.has(id));
    const synthesis =
      state.synthesis !== null && state.rendered.synthesis === null && !this.synthesisRequested;
    return { turns, synthesis };
  }

  check(): void {
    if (this.pending !== null || Date.now() < this.pausedUntil) return;
    const { turns, synthesis } = this.missing();
    if (turns.length === 0 && !synthesis) return;
    // Turns of one stage complete close together: one request for the lot.
    this.pending = window.setTimeout(() => void this.load(), 150);
  }

  async load(): Promise<void> {
    this.pending = null;
    const { turns, synthesis } = this.missing();
    if (turns.length === 0 && !synthesis) return;
    turns.forEach((id) => this.requested.add(id));
    if (synthesis) this.synthesisRequested = true;
    const query = new URLSearchParams();
    turns.forEach((id) => query.append("turn", id));
    if (synthesis) query.set("synthesis", "1");
    try {
      addRendered(this.store, await this.fetcher(`${this.url}?${query.toString()}`));
    } catch {
      // The plain text stays; the next change after a pause asks again.
      turns.forEach((id) => this.requested.delete(id));
      if (synthesis) this.synthesisRequested = false;
      this.pausedUntil = Date.now() + 5000;
    }
  }
}
