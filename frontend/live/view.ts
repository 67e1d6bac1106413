/**
 * Renders a debate page from the store: the live view and the replay call the same code.
 *
 * The server renders the frame (question, seats, empty sections); this fills it in and keeps
 * it in step with the state, touching only what changed. Model text goes in as text
 * (textContent) while it streams; completed turns and the chair's answer go in as the HTML
 * the server rendered and sanitised, or as text until that HTML has arrived.
 */
import {
  chairSpeaking,
  isFinished,
  judgmentList,
  type LiveState,
  type LiveStore,
  speakingSeats,
  streamPreview,
  type Turn,
  turnsByRound,
} from "./store";
import { renderMarkdown } from "./markdown";

export type Strings = Record<string, string>;

/** Fill `{name}` placeholders (translated sentences keep them as they are). */
export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function t(strings: Strings, key: string, values: Record<string, string | number> = {}): string {
  return format(strings[key] ?? key, values);
}

export function stageText(state: LiveState, strings: Strings): string {
  if (isFinished(state)) return ""; // the status badge says it
  switch (state.stage) {
    case "opening":
      return t(strings, "stageOpening");
    case "rebuttal":
      return t(strings, "stageRebuttal", { round: state.round ?? 1, rounds: state.rounds });
    case "judging":
      return t(strings, "stageJudging");
    case "synthesis":
      return t(strings, "stageSynthesis");
    default:
      return state.status === "queued" ? t(strings, "waiting") : "";
  }
}

export function stageStep(stage: string | null, round: number | null): string | null {
  if (stage === "rebuttal") return `rebuttal-${round ?? 1}`;
  return stage;
}

/** Numbers as the page's language writes them ("7.6", Turkish "7,6"). */
export function formatNumber(value: number, minDigits = 0, maxDigits = minDigits): string {
  const lang = document.documentElement.lang || undefined;
  return new Intl.NumberFormat(lang, {
    minimumFractionDigits: minDigits,
    maximumFractionDigits: maxDigits,
  }).format(value);
}

/** A duration as a clock: 75 000 ms -> "1:15", an hour and more -> "1:02:05". */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

function percent(value: number | null): string {
  return value === null ? "" : formatNumber(Math.round(value * 100));
}

interface TurnNode {
  turn: Turn;
  root: HTMLElement;
  state: HTMLElement;
  stance: HTMLElement;
  body: HTMLElement;
  foot: HTMLElement;
}

export interface ViewOptions {
  /** The live page shows the connection banner; the replay has no connection. */
  live: boolean;
  now?: () => number;
}

export class DebateView {
  private readonly root: HTMLElement;
  private readonly store: LiveStore;
  private readonly strings: Strings;
  private readonly options: ViewOptions;
  private readonly turnNodes = new Map<string, TurnNode>();
  private readonly roundNodes = new Map<number, HTMLElement>();
  private previous: LiveState | null = null;
  private ticker: number | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(root: HTMLElement, store: LiveStore, strings: Strings, options: ViewOptions) {
    this.root = root;
    this.store = store;
    this.strings = strings;
    this.options = options;
  }

  mount(): void {
    this.render(this.store.getState());
    this.unsubscribe = this.store.subscribe((state) => this.render(state));
    if (this.options.live) {
      // The countdown and the short "Reconnected" notice depend on the clock as well.
      // So does the elapsed time while the debate runs.
      this.ticker = window.setInterval(() => {
        const state = this.store.getState();
        this.renderBanner(state);
        this.renderElapsed(state);
      }, 500);
    }
  }

  unmount(): void {
    this.unsubscribe?.();
    if (this.ticker !== null) window.clearInterval(this.ticker);
  }

  private find<T extends HTMLElement = HTMLElement>(selector: string): T | null {
    return this.root.querySelector<T>(selector);
  }

  render(state: LiveState): void {
    const before = this.previous;
    this.previous = state;
    if (!before || before.status !== state.status || before.stage !== state.stage ||
        before.round !== state.round || before.turns !== state.turns ||
        before.synthesis !== state.synthesis) {
      this.renderHead(state);
      this.renderProgress(state);
      this.renderSeats(state);
    }
    if (!before || before.turns !== state.turns) this.renderTurns(state);
    if (!before || before.judgments !== state.judgments) this.renderJudgments(state);
    if (
      !before ||
      before.synthesis !== state.synthesis ||
      before.synthesisText !== state.synthesisText ||
      before.rendered.synthesis !== state.rendered.synthesis ||
      before.status !== state.status
    ) {
      this.renderAnswer(state);
    }
    if (!before || before.scoreboard !== state.scoreboard) this.renderScoreboard(state);
    if (!before || before.status !== state.status || before.failure !== state.failure) {
      this.renderOutcome(state);
    }
    this.renderBanner(state);
    this.renderQueue(state);
    this.renderElapsed(state);
  }

  /** How long the debate has run: live, up to now (or its end); in a replay, up to the
   * position (the replay's own clock shows it too). */
  renderElapsed(state: LiveState): void {
    const node = this.find("[data-live=elapsed]");
    if (!node) return;
    let text = "";
    if (state.startedAt !== null) {
      const now = (this.options.now ?? Date.now)();
      const end = this.options.live ? (state.endedAt ?? now) : (state.lastAt ?? state.startedAt);
      const done = this.options.live && state.endedAt !== null;
      text = t(this.strings, done ? "took" : "elapsed", { time: clock(end - state.startedAt) });
    }
    if (node.textContent !== text) node.textContent = text;
    node.hidden = text === "";
  }

  private renderHead(state: LiveState): void {
    const status = this.find("[data-live=status]");
    if (status) {
      status.textContent = t(this.strings, `status_${state.status}`);
      status.dataset.status = state.status;
    }
    const stage = this.find("[data-live=stage]");
    if (stage) stage.textContent = stageText(state, this.strings);
    const speaking = this.find("[data-live=speaking]");
    if (speaking) {
      const seats = speakingSeats(state).map((seat) => seat.label);
      let text = "";
      if (seats.length) text = t(this.strings, "speaking", { seats: seats.join(", ") });
      else if (chairSpeaking(state)) text = t(this.strings, "chairSpeaking");
      speaking.textContent = text;
      speaking.hidden = text === "";
    }
    const finished = isFinished(state);
    this.root.querySelectorAll<HTMLElement>("[data-when-finished]").forEach((node) => {
      // data-needs-start: nothing to show (a replay) for a debate that never started.
      const needsStart = node.dataset.needsStart !== undefined;
      node.hidden = !finished || (needsStart && state.startedAt === null);
    });
    this.root.querySelectorAll<HTMLElement>("[data-while-running]").forEach((node) => {
      node.hidden = finished;
    });
    this.root.dataset.status = state.status;
  }

  private renderProgress(state: LiveState): void {
    const steps = [...this.root.querySelectorAll<HTMLElement>("[data-stage-step]")];
    const current = stageStep(state.stage, state.round);
    const index = steps.findIndex((step) => step.dataset.stageStep === current);
    const allDone = state.status === "completed" || state.status === "completed_budget";
    steps.forEach((step, position) => {
      const done = allDone || (index >= 0 && position < index);
      const isCurrent = !allDone && position === index;
      step.classList.toggle("is-done", done);
      step.classList.toggle("is-current", isCurrent);
      if (isCurrent) step.setAttribute("aria-current", "step");
      else step.removeAttribute("aria-current");
    });
  }

  private renderSeats(state: LiveState): void {
    const speaking = new Set(speakingSeats(state).map((seat) => seat.id));
    const spoke = new Set(
      Object.values(state.turns)
        .filter((turn) => turn.status === "completed")
        .map((turn) => turn.seat),
    );
    for (const seat of state.seats) {
      const node = this.find(`[data-seat="${seat.id}"]`);
      if (!node) continue;
      const failed = seat.status === "failed";
      const key = failed
        ? "seatFailed"
        : speaking.has(seat.id)
          ? "seatSpeaking"
          : spoke.has(seat.id)
            ? "seatDone"
            : isFinished(state)
              ? "seatSilent"
              : "seatWaiting";
      node.classList.toggle("is-speaking", speaking.has(seat.id));
      node.classList.toggle("is-failed", failed);
      node.classList.toggle("is-done", !failed && !speaking.has(seat.id) && spoke.has(seat.id));
      const label = node.querySelector<HTMLElement>("[data-seat-state]");
      if (label) label.textContent = t(this.strings, key);
    }
  }

  private roundSection(round: number): HTMLElement {
    const existing = this.roundNodes.get(round);
    if (existing) return existing;
    const container = this.find("[data-live=transcript]");
    const section = el("section", "live-round");
    section.dataset.round = String(round);
    const heading = el(
      "h2",
      "live-round-title",
      round === 0 ? t(this.strings, "roundOpening") : t(this.strings, "roundRebuttal", { round }),
    );
    heading.id = `round-${round}`;
    section.setAttribute("aria-labelledby", heading.id);
    section.append(heading, el("div", "live-turn-grid"));
    // Keep rounds in order whatever order they appear in.
    const after = [...this.roundNodes.entries()]
      .filter(([number]) => number > round)
      .sort(([a], [b]) => a - b)[0];
    if (after) container?.insertBefore(section, after[1]);
    else container?.append(section);
    this.roundNodes.set(round, section);
    return section;
  }

  private turnNode(turn: Turn): TurnNode {
    const existing = this.turnNodes.get(turn.key);
    if (existing) return existing;
    const state = this.store.getState();
    const seat = state.seats.find((s) => s.id === turn.seat);
    const root = el("article", "live-turn");
    root.dataset.turn = turn.key;
    root.dataset.seat = String(turn.seat);
    const head = el("header", "live-turn-head");
    const title = el("h3", "live-turn-seat", seat?.label ?? "");
    const who = el(
      "span",
      "live-turn-who",
      // A fork's copied turn names the model that wrote it, not the seat's model now.
      seat ? [seat.roleLabel, turn.copiedModel || seat.modelName].filter(Boolean).join(" · ") : "",
    );
    const stance = el("span", "badge stance");
    stance.hidden = true;
    const stateLabel = el("span", "live-turn-state");
    head.append(title, who, stance, stateLabel);
    const body = el("div", "live-turn-body");
    const foot = el("footer", "live-turn-foot");
    foot.hidden = true;
    root.append(head, body, foot);
    const grid = this.roundSection(turn.round).querySelector(".live-turn-grid");
    // Seats in panel order within a round.
    const position = seat?.position ?? 0;
    const next = [...(grid?.children ?? [])].find((child) => {
      const other = state.seats.find((s) => String(s.id) === (child as HTMLElement).dataset.seat);
      return (other?.position ?? 0) > position;
    });
    if (next) grid?.insertBefore(root, next);
    else grid?.append(root);
    const node = { turn, root, state: stateLabel, stance, body, foot };
    this.turnNodes.set(turn.key, node);
    this.fillTurn(node, turn, true);
    return node;
  }

  private renderTurns(state: LiveState): void {
    const byRound = turnsByRound(state);
    const present = new Set<string>();
    for (const turns of byRound.values()) {
      for (const turn of turns) {
        present.add(turn.key);
        const node = this.turnNode(turn);
        if (node.turn !== turn) {
          this.fillTurn(node, turn, false);
          node.turn = turn;
        }
      }
    }
    // Seeking back in a replay removes what has not happened yet.
    for (const [key, node] of this.turnNodes) {
      if (!present.has(key)) {
        node.root.remove();
        this.turnNodes.delete(key);
      }
    }
    for (const [round, section] of this.roundNodes) {
      if (!byRound.has(round)) {
        section.remove();
        this.roundNodes.delete(round);
      }
    }
  }

  private fillTurn(node: TurnNode, turn: Turn, fresh: boolean): void {
    const previous = fresh ? null : node.turn;
    node.root.classList.toggle("is-speaking", turn.status === "streaming");
    node.root.classList.toggle("is-failed", turn.status === "failed");
    node.root.setAttribute("aria-busy", String(turn.status === "streaming"));
    const stateKey = {
      streaming: "seatSpeaking",
      completed: "",
      failed: "seatFailed",
      stopped: "turnStopped",
    }[turn.status];
    node.state.textContent = stateKey ? t(this.strings, stateKey) : "";
    node.state.hidden = !stateKey;
    node.stance.hidden = !turn.stance;
    if (turn.stance) {
      node.stance.textContent = t(this.strings, `stance_${turn.stance}`);
      node.stance.dataset.stance = turn.stance;
    }
    if (turn.confidence !== null && turn.status === "completed") {
      node.foot.textContent = t(this.strings, "confidence", { percent: percent(turn.confidence) });
      node.foot.hidden = false;
    } else {
      node.foot.hidden = true;
    }

    if (turn.status === "streaming" || turn.status === "stopped") {
      const preview = streamPreview(turn.text);
      let stream = node.body.querySelector<HTMLElement>(":scope > .live-turn-stream");
      if (!stream || previous?.status !== turn.status) {
        node.body.replaceChildren();
        stream = el("div", "live-turn-stream");
        node.body.append(stream);
      }
      const thinking = preview === "" && turn.status === "streaming";
      stream.classList.toggle("is-thinking", thinking);
      if (preview) {
        // Markdown as it streams, sanitised (./markdown.ts): the same HTML it ends up as.
        stream.innerHTML = renderMarkdown(preview);
      } else {
        stream.textContent = thinking ? t(this.strings, "thinking") : "";
      }
      return;
    }
    if (turn.status === "failed") {
      node.body.replaceChildren(
        el("p", "live-turn-error", t(this.strings, "turnFailed", { reason: turn.errorCode || "error" })),
      );
      return;
    }
    // Completed: the sanitised HTML when it has come, the plain text until then.
    if (previous && previous.status === "completed" && previous.html === turn.html &&
        previous.content === turn.content) {
      return;
    }
    const prose = el("div", "prose");
    // The server's HTML embedded with the page, or rendered here with the same rules.
    prose.innerHTML = turn.html ?? renderMarkdown(turn.content);
    node.body.replaceChildren(prose, this.copyButton(turn.content));
  }

  /** "Copy": the text as the model wrote it (Markdown), handled by ../copy.ts. */
  private copyButton(text: string, key = "copy"): HTMLButtonElement {
    const button = el("button", "copy-button secondary small", t(this.strings, key));
    button.type = "button";
    button.dataset.copyText = text;
    button.dataset.copiedLabel = t(this.strings, "copied");
    return button;
  }

  private renderJudgments(state: LiveState): void {
    const section = this.find("[data-live=judgments]");
    if (!section) return;
    const judgments = judgmentList(state);
    section.hidden = judgments.length === 0;
    const body = section.querySelector("tbody");
    if (!body) return;
    const labels = new Map(state.seats.map((seat) => [seat.id, seat.label]));
    body.replaceChildren(
      ...judgments.map((judgment) => {
        const row = el("tr");
        row.dataset.judgment = judgment.key;
        const score =
          judgment.status === "completed" && judgment.total !== null
            ? `${formatNumber(judgment.total, 1, 1)} / 10`
            : t(this.strings, "judgeFailed", { reason: judgment.errorCode || "error" });
        row.append(
          el("td", "judgment-seat", labels.get(judgment.seat) ?? judgment.label),
          el("td", "judge", state.models[judgment.judge] ?? judgment.judge),
          el("td", "score", score),
          el("td", "rationale", judgment.rationale),
        );
        return row;
      }),
    );
  }

  private renderAnswer(state: LiveState): void {
    const section = this.find("[data-live=answer]");
    const body = section?.querySelector<HTMLElement>("[data-live=answer-body]");
    if (!section || !body) return;
    const synthesis = state.synthesis;
    if (!synthesis) {
      const preview = streamPreview(state.synthesisText, ["consensus", "recommendation"]);
      const streaming = chairSpeaking(state);
      section.hidden = !streaming;
      section.classList.toggle("is-speaking", streaming);
      section.setAttribute("aria-busy", String(streaming));
      const stream = el("div", "live-turn-stream");
      if (preview) stream.innerHTML = renderMarkdown(preview);
      else stream.textContent = t(this.strings, "thinking");
      stream.classList.toggle("is-thinking", preview === "");
      body.replaceChildren(stream);
      return;
    }
    section.hidden = false;
    section.classList.remove("is-speaking");
    section.setAttribute("aria-busy", "false");
    const html = state.rendered.synthesis;
    const block = (title: string, text: string, sanitised: string | undefined): HTMLElement => {
      const part = el("section", "answer-part");
      part.append(el("h3", "", title));
      const prose = el("div", "prose");
      prose.innerHTML = sanitised ?? renderMarkdown(text); // sanitised, here or by the server
      part.append(prose);
      return part;
    };
    const parts: HTMLElement[] = [];
    if (synthesis.consensus) {
      parts.push(block(t(this.strings, "consensus"), synthesis.consensus, html?.consensus));
    }
    if (synthesis.disagreements.length) {
      const part = el("section", "answer-part");
      part.append(el("h3", "", t(this.strings, "disagreements")));
      const list = el("ul", "disagreements");
      synthesis.disagreements.forEach((item, index) => {
        const li = el("li");
        li.innerHTML = html?.disagreements[index] ?? renderMarkdown(item); // sanitised
        list.append(li);
      });
      part.append(list);
      parts.push(part);
    }
    parts.push(
      block(t(this.strings, "recommendation"), synthesis.recommendation, html?.recommendation),
    );
    const meta = el("p", "answer-meta");
    if (synthesis.confidence !== null) {
      meta.append(
        el(
          "strong",
          "answer-confidence",
          t(this.strings, "confidence", { percent: percent(synthesis.confidence) }),
        ),
      );
    }
    if (synthesis.chairName || synthesis.chair) {
      const chair = synthesis.chairName || synthesis.chair;
      meta.append(
        el(
          "span",
          "muted",
          t(this.strings, synthesis.substituteChair ? "substituteChair" : "writtenBy", { chair }),
        ),
      );
    }
    const answerText = [
      synthesis.consensus && `## ${t(this.strings, "consensus")}\n\n${synthesis.consensus}`,
      synthesis.disagreements.length &&
        `## ${t(this.strings, "disagreements")}\n\n` +
          synthesis.disagreements.map((item) => `- ${item}`).join("\n"),
      `## ${t(this.strings, "recommendation")}\n\n${synthesis.recommendation}`,
    ].filter(Boolean).join("\n\n");
    meta.append(this.copyButton(answerText, "copyAnswer"));
    parts.push(meta);
    body.replaceChildren(...parts);
  }

  private renderScoreboard(state: LiveState): void {
    const section = this.find("[data-live=scoreboard]");
    if (!section) return;
    // Nobody scored (e.g. cancelled before it started): no table of "not scored" rows.
    section.hidden = !state.scoreboard.some((row) => row.mean !== null);
    const body = section.querySelector("tbody");
    if (!body) return;
    const seats = new Map(state.seats.map((seat) => [seat.id, seat]));
    body.replaceChildren(
      ...state.scoreboard.map((row) => {
        const seat = seats.get(row.seat);
        const tr = el("tr");
        const who = el("td", "who");
        who.append(
          el("strong", "", seat?.label ?? row.label),
          el(
            "span",
            "muted",
            [seat?.roleLabel ?? row.role, row.modelName || row.model].filter(Boolean).join(" · "),
          ),
        );
        const basis = el("td", "rank-basis");
        basis.append(el("strong", "", row.borda === null ? "–" : formatNumber(row.borda, 2, 2)));
        tr.append(
          el("td", "rank", row.rank === null ? "–" : `#${formatNumber(row.rank)}`),
          who,
          basis,
          el("td", "score", row.mean === null ? t(this.strings, "unranked") : formatNumber(row.mean, 1, 1)),
        );
        return tr;
      }),
    );
  }

  private renderOutcome(state: LiveState): void {
    const node = this.find("[data-live=outcome]");
    if (!node) return;
    let text = "";
    let tone = "info";
    if (state.status === "failed") {
      const reason = [state.failure?.reason, state.failure?.detail].filter(Boolean).join(": ");
      text = t(this.strings, "failed", { reason: reason || "error" });
      tone = "error";
    } else if (state.status === "cancelled") {
      text = t(this.strings, state.startedAt === null ? "cancelledBeforeStart" : "cancelled");
    } else if (state.status === "completed_budget") {
      text = t(this.strings, "budget", { reason: state.budgetReason });
      tone = "warning";
    }
    node.textContent = text;
    node.hidden = text === "";
    node.className = `notice ${tone}`;
  }

  /** The server's "waiting for a free slot" notice stands until the debate starts. */
  renderQueue(state: LiveState): void {
    const notice = this.find("[data-live=queue]");
    if (notice) notice.hidden = state.status !== "queued";
  }

  renderBanner(state: LiveState): void {
    const banner = this.find("[data-live=banner]");
    if (!banner || !this.options.live) return;
    const now = (this.options.now ?? Date.now)();
    let text = "";
    let tone = "";
    if (state.connection === "reconnecting") {
      const seconds = state.retryAt === null ? 0 : Math.ceil((state.retryAt - now) / 1000);
      const limited = state.retryReason === "rate_limited";
      text =
        seconds > 0
          ? t(this.strings, limited ? "rateLimited" : "reconnecting", { seconds })
          : t(this.strings, "reconnectingNow");
      tone = "warning";
    } else if (state.connection === "closed" && !isFinished(state)) {
      text = t(this.strings, "unavailable");
      tone = "error";
    } else if (state.reconnectedAt !== null && now - state.reconnectedAt < 4000) {
      // Also when the debate ended while the page was away: it came back, then was told so.
      text = t(this.strings, "reconnected");
      tone = "ok";
    }
    if (banner.textContent !== text) banner.textContent = text;
    banner.hidden = text === "";
    banner.dataset.tone = tone;
  }
}
