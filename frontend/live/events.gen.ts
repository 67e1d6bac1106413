// Generated from debates/events.py by `python manage.py event_types`: do not edit.
// A test fails when this file and the Python event types differ.

export interface DebateStartedPayload {
  attempt: number;
  resumed: boolean;
}

export interface StageStartedPayload {
  stage: string;
  round: number | null;
}

export interface TurnStartedPayload {
  seat: number;
  label: string;
  round: number;
  model: string;
}

export interface TurnDeltaPayload {
  seat: number | null;
  round: number | null;
  text: string;
}

export interface TurnCompletedPayload {
  seat: number;
  label: string;
  round: number;
  turn: string;
  content: string;
  stance: string;
  confidence: number | null;
  key_claims: string[];
  input_tokens: number;
  output_tokens: number;
  cost_usd: string;
  latency_ms: number;
  copied_from_model?: string;
}

export interface TurnFailedPayload {
  seat: number;
  label: string;
  round: number;
  error_code: string;
  detail: string;
}

export interface JudgmentCompletedPayload {
  judge: string;
  seat: number;
  label: string;
  status: string;
  scores: Record<string, number>;
  total: number | null;
  rationale: string;
  error_code: string;
}

export interface SynthesisPayload {
  consensus: string;
  disagreements: string[];
  recommendation: string;
  confidence: number | null;
  structured: boolean;
  chair: string;
  chair_name: string;
  substitute_chair: boolean;
}

export interface StageCompletedPayload {
  stage: string;
  round: number | null;
  succeeded?: number;
  failed?: number;
  degraded?: boolean;
  synthesis?: SynthesisPayload;
}

export interface ScoreRowPayload {
  seat: number;
  label: string;
  role: string;
  model: string;
  model_name: string;
  mean: number | null;
  judgments: number;
  status: string;
  rank: number | null;
  borda: number | null;
  criteria: Record<string, number>;
}

export interface SeatBriefPayload {
  seat: number;
  label: string;
  role: string;
  model: string;
  model_name: string;
  mean: number | null;
}

export interface ResultsPayload {
  method: string;
  champion: SeatBriefPayload | null;
  runner_up: SeatBriefPayload | null;
  margin: number | null;
  tied: SeatBriefPayload[];
  judges: number;
}

export interface UsagePayload {
  input_tokens: number;
  output_tokens: number;
  cost_usd: string;
}

export interface DebateFinishedPayload {
  status: string;
  reason: string;
  detail: string;
  budget_reason: string;
  scoreboard: ScoreRowPayload[];
  results: ResultsPayload;
  synthesis: SynthesisPayload | null;
  usage: UsagePayload;
  stage?: string;
  round?: number | null;
  succeeded?: number;
  failed?: number;
}

export interface DebateForkedPayload {
  forked_from: string;
  round: number;
  copied_turns: number;
}

export const EVENT_TYPES = [
  "debate.started",
  "stage.started",
  "turn.started",
  "turn.delta",
  "turn.completed",
  "turn.failed",
  "judgment.completed",
  "stage.completed",
  "debate.completed",
  "debate.failed",
  "debate.cancelled",
  "debate.forked",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface EventPayloads {
  "debate.started": DebateStartedPayload;
  "stage.started": StageStartedPayload;
  "turn.started": TurnStartedPayload;
  "turn.delta": TurnDeltaPayload;
  "turn.completed": TurnCompletedPayload;
  "turn.failed": TurnFailedPayload;
  "judgment.completed": JudgmentCompletedPayload;
  "stage.completed": StageCompletedPayload;
  "debate.completed": DebateFinishedPayload;
  "debate.failed": DebateFinishedPayload;
  "debate.cancelled": DebateFinishedPayload;
  "debate.forked": DebateForkedPayload;
}

/** One entry of a debate's log, as the server sends it. */
export type KnownDebateEvent = {
  [T in EventType]: { seq: number; type: T; at: string; payload: EventPayloads[T] };
}[EventType];
