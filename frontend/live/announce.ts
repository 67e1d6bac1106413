/**
 * Telling the person when their debate starts and when it finishes: a banner on the page and,
 * if they allowed it, a browser notification (the Notification API). Permission is asked only
 * from the "Notify me" button, never on load. Only changes seen while the page is open count:
 * a debate that was already running or finished when the page loaded announces nothing.
 */
import { FINISHED, isFinished, type LiveState, type LiveStore } from "./store";
import type { Strings } from "./view";

function notificationsSupported(): boolean {
  return typeof window !== "undefined" && "Notification" in window;
}

export class Announcer {
  private previous: LiveState["status"];

  constructor(
    private readonly root: HTMLElement,
    private readonly store: LiveStore,
    private readonly strings: Strings,
  ) {
    this.previous = store.getState().status;
  }

  mount(): void {
    this.renderButton();
    this.root.querySelector<HTMLButtonElement>("[data-live=notify]")?.addEventListener("click", () => {
      if (!notificationsSupported()) return;
      void Notification.requestPermission().then(() => this.renderButton());
    });
    this.store.subscribe((state) => this.onChange(state));
  }

  private renderButton(): void {
    const button = this.root.querySelector<HTMLButtonElement>("[data-live=notify]");
    const note = this.root.querySelector<HTMLElement>("[data-live=notify-state]");
    if (!button) return;
    const finished = isFinished(this.store.getState());
    const permission = notificationsSupported() ? Notification.permission : "unsupported";
    button.hidden = finished || permission !== "default";
    if (note) {
      const key = permission === "granted" ? "notifyOn" : permission === "denied" ? "notifyBlocked" : "";
      note.textContent = key && !finished ? (this.strings[key] ?? "") : "";
      note.hidden = note.textContent === "";
    }
  }

  private onChange(state: LiveState): void {
    const before = this.previous;
    this.previous = state.status;
    if (before === state.status) return;
    if (before === "queued" && state.status === "running") {
      this.announce("announceStarted");
    } else if (!FINISHED.has(before) && isFinished(state)) {
      this.announce(`announce_${state.status}`);
      this.renderButton();
    }
  }

  private announce(key: string): void {
    const text = this.strings[key] ?? key;
    const banner = this.root.querySelector<HTMLElement>("[data-live=announce]");
    if (banner) {
      banner.textContent = text;
      banner.hidden = false;
    }
    if (notificationsSupported() && Notification.permission === "granted") {
      const question = this.root.querySelector("#live-question")?.textContent?.trim() ?? "";
      try {
        new Notification(text, { body: question.slice(0, 140), tag: `debate-${this.store.getState().debateId}` });
      } catch {
        // Some browsers only allow notifications from a service worker: the banner remains.
      }
    }
  }
}
