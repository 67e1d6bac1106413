import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  applyEvent,
  createLiveStore,
  type DebateEvent,
  initialState,
  isFinished,
  type LiveState,
  partialJsonString,
  rebuild,
  receive,
  receiveAll,
  seek,
  speakingSeats,
  streamPreview,
  turnKey,
  turnsByRound,
  withRendered,
} from "../live/store";

const SEATS = [
  { id: 11, label: "Seat A", position: 0, role: "proponent", roleLabel: "Proponent", model: "demo:demo-sage", modelName: "Demo Sage", status: "active" },
  { id: 12, label: "Seat B", position: 1, role: "skeptic", roleLabel: "Skeptic", model: "demo:demo-skeptic", modelName: "Demo Skeptic", status: "active" },
];

function base(): LiveState {
  return initialState({ debateId: "d-1", rounds: 1, seats: SEATS });
}

// One second per seq: the same event always has the same time (the state keeps event times).
function ev(seq: number, type: string, payload: Record<string, unknown> = {}): DebateEvent {
  return { seq, type, at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), payload };
}

/** A small debate: two seats open (A streams in two deltas, B fails), judging, answer. */
function debateLog(): DebateEvent[] {
  return [
    ev(1, "debate.started", { attempt: 1 }),
    ev(2, "stage.started", { stage: "opening", round: 0 }),
    ev(3, "turn.started", { seat: 11, label: "Seat A", round: 0, model: "demo:demo-sage" }),
    ev(4, "turn.started", { seat: 12, label: "Seat B", round: 0, model: "demo:demo-skeptic" }),
    ev(5, "turn.delta", { seat: 11, round: 0, text: '{"content": "Hello' }),
    ev(6, "turn.delta", { seat: 11, round: 0, text: ' world", "stance": "for"}' }),
    ev(7, "turn.completed", { seat: 11, label: "Seat A", round: 0, turn: "t-1", content: "Hello **world**", stance: "for", confidence: 0.8, key_claims: ["one"] }),
    ev(8, "turn.failed", { seat: 12, label: "Seat B", round: 0, error_code: "rate_limited", detail: "429" }),
    ev(9, "stage.completed", { stage: "opening", round: 0, succeeded: 1, failed: 1 }),
    ev(10, "stage.started", { stage: "judging", round: null }),
    ev(11, "judgment.completed", { judge: "demo:demo-scout", seat: 11, label: "Seat A", status: "completed", scores: { accuracy: 8, reasoning: 7 }, total: 7.5, rationale: "Clear.", error_code: "" }),
    ev(12, "stage.completed", { stage: "judging", round: null }),
    ev(13, "stage.started", { stage: "synthesis", round: null }),
    ev(14, "turn.delta", { seat: null, round: null, text: '{"consensus": "We agree' }),
    ev(15, "stage.completed", { stage: "synthesis", round: null, synthesis: { consensus: "We agree.", disagreements: ["How fast"], recommendation: "Pilot it.", confidence: 0.7, chair: "demo:demo-scout", chair_name: "Demo Scout", substitute_chair: false } }),
    ev(16, "debate.completed", { status: "completed", scoreboard: [{ seat: 11, label: "Seat A", role: "proponent", model: "demo:demo-sage", model_name: "Demo Sage", mean: 7.5, judgments: 1, status: "active", rank: 1 }], synthesis: {} }),
  ];
}

function upTo(seq: number): LiveState {
  return debateLog().filter((e) => e.seq <= seq).reduce(applyEvent, base());
}

describe("applyEvent", () => {
  test("turn.started opens a streaming turn and the seat is speaking", () => {
    const state = upTo(3);
    const turn = state.turns[turnKey(11, 0)];
    assert.equal(turn?.status, "streaming");
    assert.equal(turn?.text, "");
    assert.deepEqual(speakingSeats(state).map((s) => s.label), ["Seat A"]);
    assert.equal(state.stage, "opening");
    assert.equal(state.status, "running");
  });

  test("turn.delta appends streamed text", () => {
    const state = upTo(6);
    assert.equal(state.turns[turnKey(11, 0)]?.text, '{"content": "Hello world", "stance": "for"}');
  });

  test("a restarted turn (turn.started again) starts its text anew", () => {
    const state = [ev(7, "turn.started", { seat: 11, round: 0 }), ev(8, "turn.delta", { seat: 11, round: 0, text: "Again" })]
      .reduce(applyEvent, upTo(6));
    assert.equal(state.turns[turnKey(11, 0)]?.text, "Again");
  });

  test("turn.completed replaces the stream with the final content", () => {
    const turn = upTo(7).turns[turnKey(11, 0)];
    assert.equal(turn?.status, "completed");
    assert.equal(turn?.text, "");
    assert.equal(turn?.content, "Hello **world**");
    assert.equal(turn?.turnId, "t-1");
    assert.equal(turn?.stance, "for");
    assert.equal(turn?.confidence, 0.8);
    assert.deepEqual(turn?.keyClaims, ["one"]);
    assert.equal(turn?.html, null);
  });

  test("turn.completed picks up HTML the server already rendered", () => {
    const withHtml = { ...base(), rendered: { turns: { "t-1": "<p>Hello <strong>world</strong></p>" }, synthesis: null } };
    const state = debateLog().slice(0, 7).reduce(applyEvent, withHtml);
    assert.equal(state.turns[turnKey(11, 0)]?.html, "<p>Hello <strong>world</strong></p>");
  });

  test("turn.failed shows the failure in place and the seat as failed", () => {
    const state = upTo(8);
    const turn = state.turns[turnKey(12, 0)];
    assert.equal(turn?.status, "failed");
    assert.equal(turn?.errorCode, "rate_limited");
    assert.equal(state.seats.find((s) => s.id === 12)?.status, "failed");
    assert.deepEqual(speakingSeats(state), []);
  });

  test("judgments arrive one by one", () => {
    const judgment = upTo(11).judgments["demo:demo-scout:11"];
    assert.equal(judgment?.total, 7.5);
    assert.deepEqual(judgment?.scores, { accuracy: 8, reasoning: 7 });
    assert.equal(judgment?.rationale, "Clear.");
  });

  test("the chair's answer streams, then is replaced by the final one", () => {
    assert.equal(upTo(14).synthesisText, '{"consensus": "We agree');
    assert.equal(upTo(14).synthesis, null);
    const done = upTo(15);
    assert.equal(done.synthesisText, "");
    assert.deepEqual(done.synthesis?.disagreements, ["How fast"]);
    assert.equal(done.synthesis?.recommendation, "Pilot it.");
    assert.equal(done.synthesis?.chairName, "Demo Scout");
  });

  test("debate.completed finishes with the scoreboard and keeps the answer", () => {
    const state = upTo(16);
    assert.equal(state.status, "completed");
    assert.ok(isFinished(state));
    assert.equal(state.scoreboard[0]?.rank, 1);
    assert.equal(state.scoreboard[0]?.modelName, "Demo Sage");
    assert.equal(state.synthesis?.recommendation, "Pilot it.");
    assert.equal(state.lastSeq, 16);
  });

  test("a debate that ends mid-turn stops the streaming turns", () => {
    const state = [ev(5, "debate.failed", { status: "failed", reason: "internal_error", detail: "boom" })]
      .reduce(applyEvent, upTo(4));
    assert.equal(state.status, "failed");
    assert.deepEqual(state.failure, { reason: "internal_error", detail: "boom" });
    assert.equal(state.turns[turnKey(11, 0)]?.status, "stopped");
    assert.deepEqual(speakingSeats(state), []);
  });

  test("debate.cancelled and completed_budget", () => {
    assert.equal(applyEvent(upTo(2), ev(3, "debate.cancelled", { status: "cancelled" })).status, "cancelled");
    const budget = applyEvent(upTo(2), ev(3, "debate.completed", { status: "completed_budget", budget_reason: "cap" }));
    assert.equal(budget.status, "completed_budget");
    assert.equal(budget.budgetReason, "cap");
  });

  test("is idempotent: an event at or below lastSeq changes nothing", () => {
    const state = upTo(7);
    for (const old of debateLog().slice(0, 7)) assert.equal(applyEvent(state, old), state);
    const log = debateLog();
    const twice = [...log, ...log].reduce(applyEvent, base());
    assert.deepEqual(twice, upTo(16));
  });

  test("unknown event types are skipped but counted", () => {
    const state = applyEvent(upTo(2), ev(3, "something.new", { x: 1 }));
    assert.equal(state.lastSeq, 3);
    assert.deepEqual(state.turns, {});
  });

  test("never mutates the state it is given", () => {
    const before = upTo(5);
    const snapshot = JSON.parse(JSON.stringify(before)) as unknown;
    applyEvent(before, ev(6, "turn.delta", { seat: 11, round: 0, text: "more" }));
    assert.deepEqual(JSON.parse(JSON.stringify(before)), snapshot);
  });

  test("malformed payloads do not throw", () => {
    const odd = [ev(1, "turn.started", {}), ev(2, "turn.delta", { seat: "x" }), ev(3, "judgment.completed", { scores: "no" }), ev(4, "debate.completed", { scoreboard: "no" })];
    const state = odd.reduce(applyEvent, base());
    assert.equal(state.lastSeq, 4);
    assert.deepEqual(state.scoreboard, []);
  });
});

describe("derived views", () => {
  test("turnsByRound orders rounds and seats by panel position", () => {
    const state = [
      ev(1, "turn.started", { seat: 12, round: 1 }),
      ev(2, "turn.started", { seat: 11, round: 1 }),
      ev(3, "turn.started", { seat: 12, round: 0 }),
    ].reduce(applyEvent, base());
    const rounds = turnsByRound(state);
    assert.deepEqual([...rounds.keys()], [0, 1]);
    assert.deepEqual(rounds.get(1)?.map((t) => t.seat), [11, 12]);
  });

  test("withRendered adds HTML to completed turns and keeps the rest", () => {
    const state = withRendered(upTo(7), { turns: { "t-1": "<p>x</p>" }, synthesis: null });
    assert.equal(state.turns[turnKey(11, 0)]?.html, "<p>x</p>");
    assert.equal(state.rendered.turns["t-1"], "<p>x</p>");
    const answer = withRendered(state, { synthesis: { consensus: "<p>c</p>", recommendation: "<p>r</p>", disagreements: [] } });
    assert.equal(answer.rendered.synthesis?.consensus, "<p>c</p>");
    assert.equal(answer.rendered.turns["t-1"], "<p>x</p>");
  });
});

describe("replay", () => {
  test("rebuild(events, n) equals applying the first n events", () => {
    const log = debateLog();
    for (const n of [0, 3, 7, 12, 16]) {
      const rebuilt = rebuild(base(), log, n);
      assert.equal(rebuilt.replay.position, n);
      assert.deepEqual({ ...rebuilt, replay: null }, { ...upTo(n), replay: null });
    }
  });

  test("seeking forward and back gives the same state as a rebuild", () => {
    const log = debateLog();
    const store = createLiveStore(base());
    seek(store, log, 9);
    seek(store, log, 16);
    seek(store, log, 5);
    assert.deepEqual({ ...store.getState(), replay: null }, { ...upTo(5), replay: null });
    assert.equal(store.getState().replay.position, 5);
    seek(store, log, 99);
    assert.equal(store.getState().replay.position, 16);
    assert.equal(store.getState().status, "completed");
    seek(store, log, -3);
    assert.equal(store.getState().lastSeq, 0);
  });

  test("a rebuild keeps the rendered HTML and resets failed seats", () => {
    const log = debateLog();
    const start = { ...base(), rendered: { turns: { "t-1": "<p>x</p>" }, synthesis: null } };
    const end = rebuild(start, log, 16);
    assert.equal(end.seats.find((s) => s.id === 12)?.status, "failed");
    const back = rebuild(end, log, 3);
    assert.equal(back.seats.find((s) => s.id === 12)?.status, "active");
    assert.equal(rebuild(back, log, 7).turns[turnKey(11, 0)]?.html, "<p>x</p>");
  });
});

describe("store", () => {
  test("receive notifies subscribers once per new event, never for a duplicate", () => {
    const store = createLiveStore(base());
    let calls = 0;
    store.subscribe(() => {
      calls += 1;
    });
    const log = debateLog();
    receive(store, log[0] as DebateEvent);
    receive(store, log[0] as DebateEvent);
    receiveAll(store, log.slice(0, 3));
    receiveAll(store, log.slice(0, 3));
    assert.equal(calls, 2);
    assert.equal(store.getState().lastSeq, 3);
  });
});

describe("streamPreview", () => {
  test("shows the content of a JSON answer as it grows", () => {
    assert.equal(streamPreview('{"content": "Hel'), "Hel");
    assert.equal(streamPreview('{"content": "Line one\\nLine \\"two\\"'), 'Line one\nLine "two"');
    assert.equal(streamPreview('{"content": "caf\\u00e9", "stance": "for"}'), "café");
  });

  test("waits out an escape cut in half", () => {
    assert.equal(streamPreview('{"content": "a\\'), "a");
    assert.equal(streamPreview('{"content": "a\\u00'), "a");
  });

  test("shows nothing before the content starts", () => {
    assert.equal(streamPreview('{"cont'), "");
    assert.equal(streamPreview("{"), "");
    assert.equal(streamPreview(""), "");
  });

  test("tolerates a code fence and shows prose as it is", () => {
    assert.equal(streamPreview('```json\n{"content": "Fenced'), "Fenced");
    assert.equal(streamPreview("  Plain prose answer "), "Plain prose answer");
  });

  test("joins several fields for the chair's answer", () => {
    const raw = '{"consensus": "We agree.", "disagreements": ["x"], "recommendation": "Pil';
    assert.equal(streamPreview(raw, ["consensus", "recommendation"]), "We agree.\n\nPil");
  });

  test("a quoted key inside a value is not taken for the key", () => {
    assert.equal(partialJsonString('{"a": "say \\"content\\": no", "content": "yes"}', "content"), "yes");
  });

  test("markup in the stream stays text (the view sets textContent)", () => {
    assert.equal(streamPreview('{"content": "<img src=x onerror=alert(1)>'), "<img src=x onerror=alert(1)>");
  });
});

describe("times", () => {
  test("the state knows when the debate started and ended, and the last event's time", () => {
    const state = upTo(16);
    assert.equal(state.startedAt, Date.UTC(2026, 0, 1, 0, 0, 1));
    assert.equal(state.endedAt, Date.UTC(2026, 0, 1, 0, 0, 16));
    assert.equal(state.lastAt, Date.UTC(2026, 0, 1, 0, 0, 16));
    assert.equal(upTo(0).startedAt, null);
  });
});

describe("a fork's log", () => {
  // Copied opening, the marker, then the fork's own round.
  const log = [
    ev(1, "stage.started", { stage: "opening", round: 0 }),
    ev(2, "turn.completed", { seat: 11, label: "Seat A", round: 0, turn: "c-1", content: "Copied.", stance: "for", confidence: null, key_claims: [], copied_from_model: "Demo Sage" }),
    ev(3, "stage.completed", { stage: "opening", round: 0, succeeded: 1, failed: 0 }),
    ev(4, "debate.forked", { forked_from: "d-0", round: 1, copied_turns: 1 }),
    ev(5, "debate.started", { attempt: 1 }),
  ];

  test("shows the copied turns and where the fork starts", () => {
    const before = log.slice(0, 3).reduce(applyEvent, base());
    assert.equal(before.fork, null);
    assert.equal(before.turns[turnKey(11, 0)]?.content, "Copied.");
    assert.equal(before.turns[turnKey(11, 0)]?.copiedModel, "Demo Sage");
    const after = log.reduce(applyEvent, base());
    assert.deepEqual(after.fork, { from: "d-0", round: 1, copied: 1 });
    assert.equal(after.status, "running");
  });
});
