/**
 * The one store of a debate page, live or replay: everything the page shows comes from here.
 *
 * State changes only through `applyEvent` (a pure reducer over the debate's event log) and
 * the few actions below (connection, rendered HTML, replay position). The live view feeds it
 * events from the WebSocket; the replay view rebuilds it from events[0..n] when seeking.
 */
import { createStore, type StoreApi } from "zustand/vanilla";
import type { EventPayloads, EventType } from "./events.gen";

export type DebateStatus =
  | "queued"
  | "running"
  | "completed"
  | "completed_budget"
  | "failed"
  | "cancelled";
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";
/** streaming: started, not finished; stopped: the debate ended before the turn did. */
export type TurnStatus = "streaming" | "completed" | "failed" | "stopped";

/** One entry of the log as it arrives: a known type (events.gen.ts) or a newer one. */
export interface DebateEvent {
  seq: number;
  type: EventType | (string & {});
  at: string;
  payload: Record<string, unknown>;
}

export interface Seat {
  id: number;
  label: string;
  position: number;
  role: string;
  roleLabel: string;
  model: string;
  modelName: string;
  status: string;
}

export interface Turn {
  key: string;
  seat: number;
  round: number;
  status: TurnStatus;
  /** Raw streamed text (often the start of a JSON answer); see streamPreview. */
  text: string;
  /** The final content (Markdown source), once completed. */
  content: string;
  /** Server-sanitised HTML of `content`, when the server has sent it. */
  html: string | null;
  turnId: string | null;
  stance: string;
  confidence: number | null;
  keyClaims: string[];
  errorCode: string;
  detail: string;
  /** A fork's copied turn: the model that wrote it in the original debate. */
  copiedModel: string;
}

export interface Judgment {
  key: string;
  judge: string;
  seat: number;
  label: string;
  status: string;
  scores: Record<string, number>;
  total: number | null;
  rationale: string;
  errorCode: string;
}

export interface Synthesis {
  consensus: string;
  disagreements: string[];
  recommendation: string;
  confidence: number | null;
  chair: string;
  chairName: string;
  substituteChair: boolean;
}

export interface SynthesisHtml {
  consensus: string;
  recommendation: string;
  disagreements: string[];
}

export interface ScoreRow {
  seat: number;
  label: string;
  role: string;
  model: string;
  modelName: string;
  mean: number | null;
  judgments: number;
  status: string;
  rank: number | null;
  /** Mean Borda points over the judges that scored the seat: what `rank` is computed from. */
  borda: number | null;
}

export interface Rendered {
  turns: Record<string, string>;
  synthesis: SynthesisHtml | null;
}

export interface ReplayState {
  /** How many events of the log are applied (0 = nothing yet). */
  position: number;
  playing: boolean;
  speed: number;
}

export interface LiveState {
  debateId: string;
  rounds: number;
  /** Display names of the debate's models by catalog key (judges, chair). */
  models: Record<string, string>;
  status: DebateStatus;
  stage: string | null;
  round: number | null;
  seats: Seat[];
  turns: Record<string, Turn>;
  judgments: Record<string, Judgment>;
  /** The chair's answer as it streams (raw), then `synthesis` once complete. */
  synthesisText: string;
  synthesis: Synthesis | null;
  scoreboard: ScoreRow[];
  failure: { reason: string; detail: string } | null;
  budgetReason: string;
  connection: ConnectionState;
  /** While reconnecting: the chosen delay and when the next attempt starts (epoch ms). */
  retryDelayMs: number | null;
  retryAt: number | null;
  /** Why the socket is waiting to reconnect, when the server said ("rate_limited"). */
  retryReason: string | null;
  /** When the socket came back after an interruption (epoch ms), for a short notice. */
  reconnectedAt: number | null;
  lastSeq: number;
  /** When the debate started and ended, and the time of the last event applied (epoch ms). */
  startedAt: number | null;
  endedAt: number | null;
  lastAt: number | null;
  rendered: Rendered;
  replay: ReplayState;
  /** A fork: the debate it was forked from and the round it ran from (turns before are copies). */
  fork: { from: string; round: number; copied: number } | null;
}

export interface LiveConfig {
  debateId: string;
  rounds: number;
  seats: Seat[];
  models?: Record<string, string>;
}

export const FINISHED: ReadonlySet<DebateStatus> = new Set([
  "completed",
  "completed_budget",
  "failed",
  "cancelled",
]);

export function turnKey(seat: number, round: number): string {
  return `${seat}:${round}`;
}

export function initialState(config: LiveConfig, rendered?: Rendered): LiveState {
  return {
    debateId: config.debateId,
    rounds: config.rounds,
    models: { ...(config.models ?? {}) },
    status: "queued",
    stage: null,
    round: null,
    seats: config.seats.map((seat) => ({ ...seat })),
    turns: {},
    judgments: {},
    synthesisText: "",
    synthesis: null,
    scoreboard: [],
    failure: null,
    budgetReason: "",
    connection: "connecting",
    retryDelayMs: null,
    retryAt: null,
    retryReason: null,
    reconnectedAt: null,
    lastSeq: 0,
    startedAt: null,
    endedAt: null,
    lastAt: null,
    rendered: rendered ?? { turns: {}, synthesis: null },
    replay: { position: 0, playing: false, speed: 1 },
    fork: null,
  };
}

// --- Reading payloads defensively: the log is ours, but a page must never crash on it. ------

/**
 * An event's payload with the server's type for it (events.gen.ts, generated from
 * debates/events.py). Fields are still read defensively: an older log may lack one.
 */
function payloadOf<T extends EventType>(event: DebateEvent, _type: T): Partial<EventPayloads[T]> {
  return (event.payload ?? {}) as Partial<EventPayloads[T]>;
}

function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map((item) => String(item)) : [];
}

function scores(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (value && typeof value === "object") {
    for (const [name, score] of Object.entries(value as Record<string, unknown>)) {
      const n = num(score);
      if (n !== null) out[name] = n;
    }
  }
  return out;
}

function synthesisFrom(value: unknown): Synthesis | null {
  if (!value || typeof value !== "object") return null;
  const data = value as Record<string, unknown>;
  if (!("recommendation" in data) && !("consensus" in data)) return null;
  return {
    consensus: str(data.consensus),
    disagreements: strings(data.disagreements),
    recommendation: str(data.recommendation),
    confidence: num(data.confidence),
    chair: str(data.chair),
    chairName: str(data.chair_name),
    substituteChair: data.substitute_chair === true,
  };
}

function scoreboardFrom(value: unknown): ScoreRow[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((row): row is Record<string, unknown> => !!row && typeof row === "object")
    .map((row) => ({
      seat: num(row.seat) ?? 0,
      label: str(row.label),
      role: str(row.role),
      model: str(row.model),
      modelName: str(row.model_name),
      mean: num(row.mean),
      judgments: num(row.judgments) ?? 0,
      status: str(row.status),
      rank: num(row.rank),
      borda: num(row.borda),
    }));
}

function emptyTurn(seat: number, round: number): Turn {
  return {
    key: turnKey(seat, round),
    seat,
    round,
    status: "streaming",
    text: "",
    content: "",
    html: null,
    turnId: null,
    stance: "",
    confidence: null,
    keyClaims: [],
    errorCode: "",
    detail: "",
    copiedModel: "",
  };
}

function withTurn(state: LiveState, turn: Turn): Record<string, Turn> {
  return { ...state.turns, [turn.key]: turn };
}

/** Turns still streaming when the debate ends will never finish. */
function stopStreaming(turns: Record<string, Turn>): Record<string, Turn> {
  let changed = false;
  const out: Record<string, Turn> = {};
  for (const [key, turn] of Object.entries(turns)) {
    if (turn.status === "streaming") {
      out[key] = { ...turn, status: "stopped" };
      changed = true;
    } else {
      out[key] = turn;
    }
  }
  return changed ? out : turns;
}

function asStatus(value: unknown, fallback: DebateStatus): DebateStatus {
  const known: DebateStatus[] = [
    "queued",
    "running",
    "completed",
    "completed_budget",
    "failed",
    "cancelled",
  ];
  return known.includes(value as DebateStatus) ? (value as DebateStatus) : fallback;
}

/**
 * The state after one event. Pure; an event at or below lastSeq changes nothing (so applying
 * the same event twice, or an old one after a reconnect, is harmless).
 */
export function applyEvent(state: LiveState, event: DebateEvent): LiveState {
  if (!event || typeof event.seq !== "number" || event.seq <= state.lastSeq) return state;
  const at = Date.parse(event.at);
  const next: LiveState = {
    ...state,
    lastSeq: event.seq,
    lastAt: Number.isFinite(at) ? at : state.lastAt,
  };
  switch (event.type) {
    case "debate.started":
      next.status = "running";
      next.startedAt = next.lastAt;
      break;
    case "stage.started": {
      const p = payloadOf(event, "stage.started");
      next.status = "running";
      next.stage = str(p.stage) || null;
      next.round = num(p.round);
      if (next.stage === "synthesis" && !state.synthesis) next.synthesisText = "";
      break;
    }
    case "stage.completed": {
      const p = payloadOf(event, "stage.completed");
      const synthesis = str(p.stage) === "synthesis" ? synthesisFrom(p.synthesis) : null;
      if (synthesis) {
        next.synthesis = synthesis;
        next.synthesisText = "";
      }
      break;
    }
    case "turn.started": {
      // A (re)started turn begins from nothing: a retried call streams its text anew.
      const p = payloadOf(event, "turn.started");
      const seat = num(p.seat);
      const round = num(p.round);
      if (seat !== null && round !== null) next.turns = withTurn(state, emptyTurn(seat, round));
      break;
    }
    case "turn.delta": {
      const p = payloadOf(event, "turn.delta");
      const seat = num(p.seat);
      const round = num(p.round);
      const text = str(p.text);
      if (seat === null) {
        next.synthesisText = state.synthesisText + text;
      } else if (round !== null) {
        const turn = state.turns[turnKey(seat, round)] ?? emptyTurn(seat, round);
        if (turn.status === "streaming") {
          next.turns = withTurn(state, { ...turn, text: turn.text + text });
        }
      }
      break;
    }
    case "turn.completed": {
      const p = payloadOf(event, "turn.completed");
      const seat = num(p.seat);
      const round = num(p.round);
      if (seat !== null && round !== null) {
        const turn = state.turns[turnKey(seat, round)] ?? emptyTurn(seat, round);
        const turnId = str(p.turn) || null;
        next.turns = withTurn(state, {
          ...turn,
          status: "completed",
          text: "",
          content: str(p.content),
          html: turnId ? (state.rendered.turns[turnId] ?? null) : null,
          turnId,
          stance: str(p.stance),
          confidence: num(p.confidence),
          keyClaims: strings(p.key_claims),
          copiedModel: str(p.copied_from_model),
        });
      }
      break;
    }
    case "turn.failed": {
      const p = payloadOf(event, "turn.failed");
      const seat = num(p.seat);
      const round = num(p.round);
      if (seat !== null && round !== null) {
        const turn = state.turns[turnKey(seat, round)] ?? emptyTurn(seat, round);
        next.turns = withTurn(state, {
          ...turn,
          status: "failed",
          text: "",
          errorCode: str(p.error_code),
          detail: str(p.detail),
        });
        next.seats = state.seats.map((s) => (s.id === seat ? { ...s, status: "failed" } : s));
      }
      break;
    }
    case "judgment.completed": {
      const p = payloadOf(event, "judgment.completed");
      const seat = num(p.seat);
      const judge = str(p.judge);
      if (seat !== null) {
        const key = `${judge}:${seat}`;
        next.judgments = {
          ...state.judgments,
          [key]: {
            key,
            judge,
            seat,
            label: str(p.label),
            status: str(p.status),
            scores: scores(p.scores),
            total: num(p.total),
            rationale: str(p.rationale),
            errorCode: str(p.error_code),
          },
        };
      }
      break;
    }
    case "debate.completed":
    case "debate.failed":
    case "debate.cancelled": {
      const p = payloadOf(event, "debate.completed"); // one payload type for all three
      const fallback: DebateStatus =
        event.type === "debate.completed"
          ? "completed"
          : event.type === "debate.failed"
            ? "failed"
            : "cancelled";
      next.status = asStatus(p.status, fallback);
      next.scoreboard = scoreboardFrom(p.scoreboard);
      next.synthesis = state.synthesis ?? synthesisFrom(p.synthesis);
      next.budgetReason = str(p.budget_reason);
      next.turns = stopStreaming(state.turns);
      next.endedAt = next.lastAt;
      if (next.status === "failed") next.failure = { reason: str(p.reason), detail: str(p.detail) };
      break;
    }
    case "debate.forked": {
      const p = payloadOf(event, "debate.forked");
      next.fork = {
        from: str(p.forked_from),
        round: num(p.round) ?? 0,
        copied: num(p.copied_turns) ?? 0,
      };
      break;
    }
    default:
      break; // an event type this page does not know yet: skipped, but counted as seen
  }
  return next;
}

/** The state after events[0..n): what the replay shows at position n. */
export function rebuild(base: LiveState, events: readonly DebateEvent[], n: number): LiveState {
  let state: LiveState = {
    ...initialState({
      debateId: base.debateId,
      rounds: base.rounds,
      seats: base.seats,
      models: base.models,
    }),
    seats: base.seats.map((seat) => ({ ...seat, status: "active" })),
    rendered: base.rendered,
    connection: base.connection,
    retryDelayMs: base.retryDelayMs,
    retryAt: base.retryAt,
    retryReason: base.retryReason,
    reconnectedAt: base.reconnectedAt,
  };
  const end = Math.max(0, Math.min(n, events.length));
  for (let index = 0; index < end; index += 1) {
    const event = events[index];
    if (event) state = applyEvent(state, event);
  }
  return { ...state, replay: { ...base.replay, position: end } };
}

/** Merge server-rendered HTML into the state (turns already completed pick theirs up). */
export function withRendered(state: LiveState, rendered: Partial<Rendered>): LiveState {
  const turnsHtml = { ...state.rendered.turns, ...(rendered.turns ?? {}) };
  const synthesisHtml = rendered.synthesis ?? state.rendered.synthesis;
  let turns = state.turns;
  for (const turn of Object.values(state.turns)) {
    const html = turn.turnId ? turnsHtml[turn.turnId] : undefined;
    if (html !== undefined && turn.html !== html) {
      if (turns === state.turns) turns = { ...state.turns };
      turns[turn.key] = { ...turn, html };
    }
  }
  return { ...state, turns, rendered: { turns: turnsHtml, synthesis: synthesisHtml } };
}

// --- Derived views ---------------------------------------------------------------------------

export function isFinished(state: LiveState): boolean {
  return FINISHED.has(state.status);
}

/** Seats whose turn has started and not yet ended, in seat order. */
export function speakingSeats(state: LiveState): Seat[] {
  const speaking = new Set(
    Object.values(state.turns)
      .filter((turn) => turn.status === "streaming")
      .map((turn) => turn.seat),
  );
  return state.seats.filter((seat) => speaking.has(seat.id));
}

export function chairSpeaking(state: LiveState): boolean {
  return state.stage === "synthesis" && !state.synthesis && !isFinished(state);
}

/** Turns by round (0 = opening), each round's turns in seat order. */
export function turnsByRound(state: LiveState): Map<number, Turn[]> {
  const order = new Map(state.seats.map((seat) => [seat.id, seat.position]));
  const rounds = new Map<number, Turn[]>();
  for (const turn of Object.values(state.turns)) {
    const list = rounds.get(turn.round) ?? [];
    list.push(turn);
    rounds.set(turn.round, list);
  }
  for (const list of rounds.values()) {
    list.sort((a, b) => (order.get(a.seat) ?? 0) - (order.get(b.seat) ?? 0));
  }
  return new Map([...rounds.entries()].sort(([a], [b]) => a - b));
}

export function judgmentList(state: LiveState): Judgment[] {
  const order = new Map(state.seats.map((seat) => [seat.id, seat.position]));
  return Object.values(state.judgments).sort(
    (a, b) => (order.get(a.seat) ?? 0) - (order.get(b.seat) ?? 0) || a.judge.localeCompare(b.judge),
  );
}

const JSON_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** The (possibly unfinished) JSON string value of `key` in `raw`; null when absent. */
export function partialJsonString(raw: string, key: string): string | null {
  const marker = `"${key}"`;
  let index = raw.indexOf(marker);
  if (index < 0) return null;
  index += marker.length;
  while (index < raw.length && /\s/.test(raw.charAt(index))) index += 1;
  if (raw.charAt(index) !== ":") return null;
  index += 1;
  while (index < raw.length && /\s/.test(raw.charAt(index))) index += 1;
  if (raw.charAt(index) !== '"') return null;
  index += 1;
  let out = "";
  while (index < raw.length) {
    const char = raw.charAt(index);
    if (char === '"') return out;
    if (char !== "\\") {
      out += char;
      index += 1;
      continue;
    }
    const escape = raw.charAt(index + 1);
    if (escape === "") break; // the stream stopped inside an escape
    if (escape === "u") {
      const hex = raw.slice(index + 2, index + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) break;
      out += String.fromCharCode(parseInt(hex, 16));
      index += 6;
      continue;
    }
    out += JSON_ESCAPES[escape] ?? escape;
    index += 2;
  }
  return out;
}

/**
 * What to show of text that is still streaming. Models are asked for JSON, so the stream is
 * usually `{"content": "...`: show the fields' text as it grows, not the JSON around it.
 * Prose answers show as they are. The result is plain text, for textContent only.
 */
export function streamPreview(raw: string, keys: readonly string[] = ["content"]): string {
  const trimmed = raw.replace(/^\s*```(?:json)?\s*/, "").trimStart();
  if (!trimmed.startsWith("{")) return raw.trim();
  const parts = keys
    .map((key) => partialJsonString(trimmed, key))
    .filter((part): part is string => part !== null && part.trim() !== "");
  return parts.join("\n\n");
}

// --- The store and its actions ---------------------------------------------------------------

export type LiveStore = StoreApi<LiveState>;

export function createLiveStore(state: LiveState): LiveStore {
  return createStore<LiveState>()(() => state);
}

export function receive(store: LiveStore, event: DebateEvent): void {
  const state = store.getState();
  const next = applyEvent(state, event);
  if (next !== state) store.setState(next, true);
}

export function receiveAll(store: LiveStore, events: readonly DebateEvent[]): void {
  const state = store.getState();
  const next = events.reduce(applyEvent, state);
  if (next !== state) store.setState(next, true);
}

export function addRendered(store: LiveStore, rendered: Partial<Rendered>): void {
  store.setState(withRendered(store.getState(), rendered), true);
}

export function setConnection(
  store: LiveStore,
  connection: ConnectionState,
  retry?: { delayMs: number; at: number; reason?: string },
): void {
  const state = store.getState();
  store.setState({
    connection,
    retryDelayMs: retry ? retry.delayMs : null,
    retryAt: retry ? retry.at : null,
    retryReason: retry?.reason ?? null,
    reconnectedAt: state.reconnectedAt,
  });
}

export function markReconnected(store: LiveStore, at: number): void {
  store.setState({ reconnectedAt: at });
}

export function seek(store: LiveStore, events: readonly DebateEvent[], n: number): void {
  const state = store.getState();
  const target = Math.max(0, Math.min(n, events.length));
  if (target === state.replay.position) return;
  if (target > state.replay.position) {
    // Forward: apply only the new events.
    let next = state;
    for (let index = state.replay.position; index < target; index += 1) {
      const event = events[index];
      if (event) next = applyEvent(next, event);
    }
    store.setState({ ...next, replay: { ...state.replay, position: target } }, true);
    return;
  }
  store.setState(rebuild(state, events, target), true);
}

export function setReplay(store: LiveStore, replay: Partial<ReplayState>): void {
  store.setState({ replay: { ...store.getState().replay, ...replay } });
}
