import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import {
  backoffDelay,
  LiveClient,
  MAX_RETRY_MS,
  MIN_RETRY_MS,
  RenderedLoader,
  type SocketLike,
} from "../live/client";
import { gapBefore, roundPosition, turnStep } from "../live/replay";
import { createLiveStore, type DebateEvent, initialState, type LiveStore, receive } from "../live/store";
import { format } from "../live/view";

// The client builds its URL from the page's location.
(globalThis as unknown as { window: unknown }).window = {
  location: { protocol: "https:", host: "example.test" },
};

function ev(seq: number, type: string, payload: Record<string, unknown> = {}): DebateEvent {
  return { seq, type, at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), payload };
}

class FakeSocket implements SocketLike {
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closedWith: number | null = null;
  constructor(readonly url: string) {}
  open(): void {
    this.onopen?.({} as Event);
  }
  send(event: DebateEvent): void {
    this.onmessage?.({ data: JSON.stringify(event) } as MessageEvent);
  }
  drop(code: number): void {
    this.onclose?.({ code } as CloseEvent);
  }
  close(code?: number): void {
    this.closedWith = code ?? 1005;
  }
}

interface Harness {
  store: LiveStore;
  client: LiveClient;
  sockets: FakeSocket[];
  timers: { callback: () => void; ms: number; cancelled: boolean }[];
  now: { value: number };
  fire(): void;
}

function harness(random = 0.5): Harness {
  const store = createLiveStore(initialState({ debateId: "d-1", rounds: 1, seats: [] }));
  const sockets: FakeSocket[] = [];
  const timers: Harness["timers"] = [];
  const now = { value: 1_000_000 };
  const client = new LiveClient(store, {
    socketPath: "/ws/debates/d-1/",
    openSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    random: () => random,
    now: () => now.value,
    schedule: (callback, ms) => timers.push({ callback, ms, cancelled: false }) - 1,
    cancel: (handle) => {
      const timer = timers[handle];
      if (timer) timer.cancelled = true;
    },
  });
  const fire = (): void => {
    const timer = timers.filter((t) => !t.cancelled).at(-1);
    assert.ok(timer, "a reconnect is scheduled");
    timer.cancelled = true;
    now.value += timer.ms;
    timer.callback();
  };
  return { store, client, sockets, timers, now, fire };
}

describe("backoffDelay", () => {
  test("starts at 1 s and never exceeds 30 s", () => {
    for (const random of [0, 0.5, 0.999]) {
      assert.equal(backoffDelay(1, () => random), MIN_RETRY_MS);
      for (let attempt = 1; attempt < 40; attempt += 1) {
        const delay = backoffDelay(attempt, () => random);
        assert.ok(delay >= MIN_RETRY_MS && delay <= MAX_RETRY_MS, `${attempt}: ${delay}`);
      }
    }
    assert.equal(backoffDelay(30, () => 1), MAX_RETRY_MS);
  });

  test("grows exponentially, the upper half jittered", () => {
    assert.equal(backoffDelay(3, () => 0), 2000);
    assert.equal(backoffDelay(3, () => 1), 4000);
    assert.equal(backoffDelay(4, () => 0.5), 6000);
    assert.ok(backoffDelay(6, () => 0) > backoffDelay(3, () => 1));
  });
});

describe("LiveClient", () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  test("connects after the last seq it has and feeds the store", () => {
    receive(h.store, ev(1, "debate.started"));
    h.client.start();
    assert.equal(h.sockets[0]?.url, "wss://example.test/ws/debates/d-1/?after=1&batch=1");
    assert.equal(h.store.getState().connection, "connecting");
    h.sockets[0]?.open();
    assert.equal(h.store.getState().connection, "open");
    assert.equal(h.store.getState().reconnectedAt, null);
    h.sockets[0]?.send(ev(2, "stage.started", { stage: "opening", round: 0 }));
    assert.equal(h.store.getState().stage, "opening");
  });

  test("an interrupted connection comes back and resumes without loss or duplicates", () => {
    h.client.start();
    const first = h.sockets[0] as FakeSocket;
    first.open();
    first.send(ev(1, "debate.started"));
    first.send(ev(2, "stage.started", { stage: "opening", round: 0 }));
    first.drop(1006);
    const waiting = h.store.getState();
    assert.equal(waiting.connection, "reconnecting");
    assert.equal(waiting.retryDelayMs, 1000);
    assert.equal(waiting.retryAt, h.now.value + 1000);

    // The first retry fails too: the wait grows.
    h.fire();
    (h.sockets[1] as FakeSocket).drop(1006);
    assert.equal(h.store.getState().retryDelayMs, 1500);

    h.fire();
    const third = h.sockets[2] as FakeSocket;
    assert.equal(third.url, "wss://example.test/ws/debates/d-1/?after=2&batch=1");
    third.open();
    const state = h.store.getState();
    assert.equal(state.connection, "open");
    assert.equal(state.reconnectedAt, h.now.value);
    assert.equal(state.retryAt, null);
    // A server that resends an event it already sent changes nothing.
    third.send(ev(2, "stage.started", { stage: "rebuttal", round: 1 }));
    assert.equal(h.store.getState().stage, "opening");
    third.send(ev(3, "turn.started", { seat: 1, round: 0 }));
    assert.equal(h.store.getState().lastSeq, 3);

    // After a success the backoff starts over.
    third.drop(1011);
    assert.equal(h.store.getState().retryDelayMs, 1000);
  });

  test("the close after the final event is the end: no reconnect", () => {
    h.client.start();
    const socket = h.sockets[0] as FakeSocket;
    socket.open();
    socket.send(ev(1, "debate.completed", { status: "completed" }));
    socket.drop(1000);
    assert.equal(h.store.getState().connection, "closed");
    assert.equal(h.timers.length, 0);
  });

  test("a 1000 close before the end (a proxy, a restart) is retried", () => {
    h.client.start();
    (h.sockets[0] as FakeSocket).open();
    (h.sockets[0] as FakeSocket).drop(1000);
    assert.equal(h.store.getState().connection, "reconnecting");
  });

  for (const code of [4400, 4401, 4404]) {
    test(`close ${code} is final`, () => {
      h.client.start();
      (h.sockets[0] as FakeSocket).drop(code);
      assert.equal(h.store.getState().connection, "closed");
      assert.equal(h.timers.length, 0);
    });
  }

  test("4429 waits the retry_after of the error before it, then tries again", () => {
    h.client.start();
    const socket = h.sockets[0] as FakeSocket;
    socket.open();
    const refusal = { type: "error", error: { code: "rate_limited", detail: "Slow down.", retry_after: 42 } };
    socket.onmessage?.({ data: JSON.stringify(refusal) } as MessageEvent);
    socket.drop(4429);
    assert.equal(h.store.getState().lastSeq, 0, "the refusal is not an event");
    assert.equal(h.store.getState().connection, "reconnecting");
    assert.equal(h.timers.at(-1)?.ms, 42_000 + 500, "retry_after plus the jitter");
    assert.equal(h.store.getState().retryReason, "rate_limited", "the banner says why");
    h.fire();
    assert.equal(h.sockets.length, 2);
  });

  test("4429 without a retry_after waits a whole window; other closes keep the backoff", () => {
    h.client.start();
    (h.sockets[0] as FakeSocket).drop(4429);
    assert.equal(h.timers.at(-1)?.ms, 60_000 + 500);
    h.fire();
    const second = h.sockets[1] as FakeSocket;
    const refusal = { type: "error", error: { code: "rate_limited", detail: "", retry_after: 42 } };
    second.onmessage?.({ data: JSON.stringify(refusal) } as MessageEvent);
    second.drop(1006);
    assert.equal(h.timers.at(-1)?.ms, backoffDelay(2, () => 0.5));
    assert.equal(h.store.getState().retryReason, null);
  });

  test("a finished debate does not connect at all", () => {
    receive(h.store, ev(1, "debate.cancelled", { status: "cancelled" }));
    h.client.start();
    assert.equal(h.sockets.length, 0);
    assert.equal(h.store.getState().connection, "closed");
  });

  test("stop() closes the socket and cancels the pending retry", () => {
    h.client.start();
    (h.sockets[0] as FakeSocket).drop(1006);
    h.client.stop();
    assert.ok(h.timers.every((t) => t.cancelled));
    h.client.start();
    (h.sockets[1] as FakeSocket).open();
    h.client.stop();
    assert.equal((h.sockets[1] as FakeSocket).closedWith, 1000);
    (h.sockets[1] as FakeSocket).drop(1000);
    assert.equal(h.timers.filter((t) => !t.cancelled).length, 0);
  });

  test("retryNow skips the rest of the wait", () => {
    h.client.start();
    (h.sockets[0] as FakeSocket).drop(1006);
    h.client.retryNow();
    assert.equal(h.sockets.length, 2);
    assert.ok(h.timers.every((t) => t.cancelled));
  });

  test("a batch feeds the store each of its events, in order", () => {
    h.client.start();
    const socket = h.sockets[0] as FakeSocket;
    socket.open();
    const events = [
      ev(1, "debate.started"),
      ev(2, "stage.started", { stage: "opening", round: 0 }),
      ev(3, "stage.started", { stage: "rebuttal", round: 1 }),
    ];
    socket.onmessage?.({ data: JSON.stringify({ type: "batch", events }) } as MessageEvent);
    assert.equal(h.store.getState().lastSeq, 3);
    assert.equal(h.store.getState().stage, "rebuttal");
  });

  test("garbage from the socket is ignored", () => {
    h.client.start();
    const socket = h.sockets[0] as FakeSocket;
    socket.onmessage?.({ data: "not json" } as MessageEvent);
    assert.equal(h.store.getState().lastSeq, 0);
  });
});

describe("RenderedLoader", () => {
  test("asks once for what completed without HTML and merges the answer", async () => {
    const store = createLiveStore(initialState({ debateId: "d-1", rounds: 1, seats: [] }));
    const asked: string[] = [];
    const loader = new RenderedLoader(store, "/debates/d-1/rendered/", async (url) => {
      asked.push(url);
      return { turns: { "t-9": "<p>done</p>" }, synthesis: null };
    });
    receive(store, ev(1, "turn.completed", { seat: 1, round: 0, turn: "t-9", content: "done" }));
    assert.deepEqual(loader.missing(), { turns: ["t-9"], synthesis: false });
    await loader.load();
    assert.deepEqual(asked, ["/debates/d-1/rendered/?turn=t-9"]);
    assert.equal(store.getState().turns["1:0"]?.html, "<p>done</p>");
    assert.deepEqual(loader.missing(), { turns: [], synthesis: false });
    await loader.load();
    assert.equal(asked.length, 1);
  });

  test("asks for the chair's answer, and again after a failure", async () => {
    const store = createLiveStore(initialState({ debateId: "d-1", rounds: 1, seats: [] }));
    let fail = true;
    const loader = new RenderedLoader(store, "/r/", async () => {
      if (fail) throw new Error("offline");
      return { synthesis: { consensus: "<p>c</p>", recommendation: "<p>r</p>", disagreements: [] } };
    });
    receive(store, ev(1, "stage.completed", { stage: "synthesis", synthesis: { recommendation: "r" } }));
    await loader.load();
    assert.equal(store.getState().rendered.synthesis, null);
    assert.deepEqual(loader.missing(), { turns: [], synthesis: true });
    fail = false;
    await loader.load();
    assert.equal(store.getState().rendered.synthesis?.recommendation, "<p>r</p>");
  });
});

describe("replay helpers", () => {
  const log = [
    ev(1, "debate.started"),
    ev(2, "stage.started", { stage: "opening", round: 0 }),
    ev(3, "turn.started", { seat: 1, round: 0 }),
    ev(4, "turn.completed", { seat: 1, round: 0 }),
    ev(5, "stage.started", { stage: "rebuttal", round: 1 }),
    ev(6, "turn.started", { seat: 1, round: 1 }),
    ev(7, "turn.failed", { seat: 1, round: 1 }),
    ev(8, "stage.started", { stage: "judging", round: null }),
    ev(9, "debate.completed"),
  ];

  test("turnStep moves to just after the next or previous turn's end", () => {
    assert.equal(turnStep(log, 0, 1), 4);
    assert.equal(turnStep(log, 4, 1), 7);
    assert.equal(turnStep(log, 7, 1), 9);
    assert.equal(turnStep(log, 7, -1), 4);
    assert.equal(turnStep(log, 4, -1), 0);
  });

  test("roundPosition finds each round's start", () => {
    assert.equal(roundPosition(log, "0"), 2);
    assert.equal(roundPosition(log, "1"), 5);
    assert.equal(roundPosition(log, "2"), null);
    assert.equal(roundPosition(log, "judging"), 8);
    assert.equal(roundPosition(log, "synthesis"), null);
    assert.equal(roundPosition(log, "end"), 9);
  });

  test("gapBefore follows the real pace within bounds, scaled by speed", () => {
    assert.equal(gapBefore(log, 1, 1), 1000);
    assert.equal(gapBefore(log, 1, 2), 500);
    assert.equal(gapBefore(log, 1, 0.5), 2000);
    const burst = [ev(1, "a"), { ...ev(2, "b"), at: ev(1, "a").at }];
    assert.equal(gapBefore(burst, 1, 1), 60);
    const pause = [ev(1, "a"), ev(100, "b")];
    assert.equal(gapBefore(pause, 1, 4), 300);
  });
});

test("format fills placeholders and leaves unknown ones", () => {
  assert.equal(format("reconnecting in {seconds} s", { seconds: 4 }), "reconnecting in 4 s");
  assert.equal(format("{a} {b}", { a: "x" }), "x {b}");
});

test("roundPosition finds a fork's marker, and nothing in a debate that is no fork", () => {
  const forked = [ev(1, "stage.started", { stage: "opening", round: 0 }), ev(2, "debate.forked"), ev(3, "debate.started")];
  assert.equal(roundPosition(forked, "fork"), 2);
  assert.equal(roundPosition([ev(1, "debate.started")], "fork"), null);
});
