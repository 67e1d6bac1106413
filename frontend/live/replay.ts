/**
 * The replay: the whole event log is on the page; the position says how much of it is
 * applied. Seeking rebuilds the store's state from events[0..n] with the same reducer the live
 * view uses, so a replay shows exactly what the live view showed.
 *
 * Keyboard: space plays or pauses, left/right step one event (with shift: one turn), number
 * keys jump to a round (0 = opening), Home/End go to the start/end.
 */
import { type DebateEvent, type LiveStore, seek, setReplay } from "./store";
import { clock, format, type Strings } from "./view";

export const SPEEDS = [0.5, 1, 2, 4] as const;
// Real gaps between events, bounded: long model pauses shrink, bursts stay visible.
const MIN_GAP_MS = 60;
const MAX_GAP_MS = 1200;

const TURN_ENDS = new Set(["turn.completed", "turn.failed"]);

/** How long to wait before applying event `index` at `speed`. */
export function gapBefore(events: readonly DebateEvent[], index: number, speed: number): number {
  const current = events[index];
  const previous = events[index - 1];
  let gap = MAX_GAP_MS / 2;
  if (current && previous) {
    const measured = Date.parse(current.at) - Date.parse(previous.at);
    if (Number.isFinite(measured)) gap = Math.min(MAX_GAP_MS, Math.max(MIN_GAP_MS, measured));
  }
  return gap / (speed > 0 ? speed : 1);
}

/** Milliseconds from the first event to the last one applied at `position`. */
export function debateTime(events: readonly DebateEvent[], position: number): number {
  const first = events[0];
  const last = events[Math.min(position, events.length) - 1];
  if (!first || !last) return 0;
  const ms = Date.parse(last.at) - Date.parse(first.at);
  return Number.isFinite(ms) ? ms : 0;
}

/** The position after the next (or previous) turn's end; stays put when there is none. */
export function turnStep(events: readonly DebateEvent[], position: number, direction: 1 | -1): number {
  if (direction > 0) {
    for (let index = position; index < events.length; index += 1) {
      if (TURN_ENDS.has(events[index]?.type ?? "")) return index + 1;
    }
    return events.length;
  }
  for (let index = position - 2; index >= 0; index -= 1) {
    if (TURN_ENDS.has(events[index]?.type ?? "")) return index + 1;
  }
  return 0;
}

/**
 * The position where a round starts (just after its stage.started): "0" the opening, "1".."5"
 * rebuttals, "judging", "synthesis"; "fork" where a fork starts running its own rounds; "end"
 * the end. null when the log has no such stage.
 */
export function roundPosition(events: readonly DebateEvent[], target: string): number | null {
  if (target === "end") return events.length;
  if (target === "fork") {
    // Just after the fork's marker: the copied turns are on screen, the fork's own are next.
    const marker = events.findIndex((event) => event.type === "debate.forked");
    return marker < 0 ? null : marker + 1;
  }
  const index = events.findIndex((event) => {
    if (event.type !== "stage.started") return false;
    const stage = event.payload.stage;
    if (target === "judging" || target === "synthesis") return stage === target;
    const round = Number(target);
    if (round === 0) return stage === "opening";
    return stage === "rebuttal" && event.payload.round === round;
  });
  return index < 0 ? null : index + 1;
}

export class ReplayController {
  private readonly store: LiveStore;
  private readonly events: readonly DebateEvent[];
  private readonly root: HTMLElement;
  private readonly strings: Strings;
  private timer: number | null = null;

  constructor(root: HTMLElement, store: LiveStore, events: readonly DebateEvent[], strings: Strings) {
    this.root = root;
    this.store = store;
    this.events = events;
    this.strings = strings;
  }

  mount(): void {
    const slider = this.control<HTMLInputElement>("seek");
    if (slider) {
      slider.max = String(this.events.length);
      slider.addEventListener("input", () => this.seekTo(Number(slider.value)));
    }
    const speed = this.control<HTMLSelectElement>("speed");
    speed?.addEventListener("change", () => {
      setReplay(this.store, { speed: Number(speed.value) || 1 });
      if (this.store.getState().replay.playing) this.schedule();
    });
    this.root.querySelectorAll<HTMLButtonElement>("button[data-replay]").forEach((button) => {
      button.addEventListener("click", () => this.command(button.dataset.replay ?? ""));
    });
    this.root.querySelectorAll<HTMLButtonElement>("button[data-replay-jump]").forEach((button) => {
      const target = button.dataset.replayJump ?? "";
      button.disabled = roundPosition(this.events, target) === null;
      button.addEventListener("click", () => this.jump(target));
    });
    document.addEventListener("keydown", (event) => this.onKey(event));
    this.store.subscribe(() => this.renderControls());
    this.renderControls();
  }

  private control<T extends HTMLElement>(name: string): T | null {
    return this.root.querySelector<T>(`[data-replay="${name}"]`);
  }

  command(name: string): void {
    const { position } = this.store.getState().replay;
    switch (name) {
      case "toggle":
        this.toggle();
        break;
      case "back":
        this.pause();
        this.seekTo(position - 1);
        break;
      case "forward":
        this.pause();
        this.seekTo(position + 1);
        break;
      case "turn-back":
        this.pause();
        this.seekTo(turnStep(this.events, position, -1));
        break;
      case "turn-forward":
        this.pause();
        this.seekTo(turnStep(this.events, position, 1));
        break;
      case "start":
        this.pause();
        this.seekTo(0);
        break;
      case "end":
        this.pause();
        this.seekTo(this.events.length);
        break;
      default:
        break;
    }
  }

  jump(target: string): void {
    const position = roundPosition(this.events, target);
    if (position === null) return;
    this.seekTo(position);
  }

  seekTo(position: number): void {
    seek(this.store, this.events, position);
    if (this.store.getState().replay.position >= this.events.length) this.pause();
  }

  toggle(): void {
    if (this.store.getState().replay.playing) this.pause();
    else this.play();
  }

  play(): void {
    if (this.events.length === 0) return;
    if (this.store.getState().replay.position >= this.events.length) this.seekTo(0);
    setReplay(this.store, { playing: true });
    this.schedule();
  }

  pause(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    if (this.store.getState().replay.playing) setReplay(this.store, { playing: false });
  }

  private schedule(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    const { position, speed } = this.store.getState().replay;
    this.timer = window.setTimeout(() => {
      this.timer = null;
      if (!this.store.getState().replay.playing) return;
      this.seekTo(this.store.getState().replay.position + 1);
      if (this.store.getState().replay.playing) this.schedule();
    }, gapBefore(this.events, position, speed));
  }

  private onKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target as HTMLElement | null;
    const tag = target?.tagName ?? "";
    // Form fields keep their own keys (the slider moves with the arrows by itself).
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || target?.isContentEditable) {
      return;
    }
    if (event.key === " " || event.key === "Spacebar") {
      if (tag === "BUTTON" || tag === "A") return; // activates the focused control instead
      event.preventDefault();
      this.toggle();
    } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      const forward = event.key === "ArrowRight";
      if (event.shiftKey) this.command(forward ? "turn-forward" : "turn-back");
      else this.command(forward ? "forward" : "back");
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      this.command(event.key === "Home" ? "start" : "end");
    } else if (/^[0-9]$/.test(event.key)) {
      if (roundPosition(this.events, event.key) !== null) {
        event.preventDefault();
        this.jump(event.key);
      }
    }
  }

  renderControls(): void {
    const { position, playing, speed } = this.store.getState().replay;
    const total = this.events.length;
    const label = format(this.strings.position ?? "{position} / {total}", { position, total });
    const slider = this.control<HTMLInputElement>("seek");
    if (slider) {
      if (slider.value !== String(position)) slider.value = String(position);
      slider.setAttribute("aria-valuetext", label);
    }
    const where = this.control("position");
    if (where && where.textContent !== label) where.textContent = label;
    // The position as time into the debate: "1:23 of 4:56".
    const time = format(this.strings.replayTime ?? "{time} / {total}", {
      time: clock(debateTime(this.events, position)),
      total: clock(debateTime(this.events, total)),
    });
    const clockNode = this.control("time");
    if (clockNode && clockNode.textContent !== time) clockNode.textContent = time;
    if (slider) slider.setAttribute("aria-valuetext", `${time} (${label})`);
    const toggle = this.control<HTMLButtonElement>("toggle");
    if (toggle) {
      const text = playing ? (this.strings.pause ?? "Pause") : (this.strings.play ?? "Play");
      toggle.setAttribute("aria-label", text);
      toggle.dataset.playing = String(playing);
      const caption = toggle.querySelector<HTMLElement>("[data-caption]");
      if (caption) caption.textContent = text;
    }
    const select = this.control<HTMLSelectElement>("speed");
    if (select && Number(select.value) !== speed) select.value = String(speed);
    const back = this.control<HTMLButtonElement>("back");
    if (back) back.disabled = position <= 0;
    const turnBack = this.control<HTMLButtonElement>("turn-back");
    if (turnBack) turnBack.disabled = position <= 0;
    const forward = this.control<HTMLButtonElement>("forward");
    if (forward) forward.disabled = position >= total;
    const turnForward = this.control<HTMLButtonElement>("turn-forward");
    if (turnForward) turnForward.disabled = position >= total;
  }
}
