// Progressive enhancements of the debate forms: the question's character counter, a seat's
// instruction shown only for a custom role, busy submit buttons, and the error state of
// htmx regions (an htmx error never leaves a blank or silently stale area).

/** The question's live counter: "n / max", with a hint when too short or too long. */
function bindCounter(field: HTMLTextAreaElement): void {
  const counterId = field.dataset.counterFor ?? "question-counter";
  const counter = document.getElementById(counterId);
  if (!counter || field.dataset.counterBound) return;
  field.dataset.counterBound = "1";
  const min = Number(field.dataset.min ?? 0);
  const max = Number(field.dataset.max ?? field.maxLength);
  const update = (): void => {
    // Code points, as the server counts them (after trimming).
    const length = Array.from(field.value.trim()).length;
    const short = length > 0 && length < min;
    const long = max > 0 && length > max;
    let text = `${length} / ${max}`;
    if (short) text += ` · ${counter.dataset.msgShort ?? ""}`;
    if (long) text += ` · ${counter.dataset.msgLong ?? ""}`;
    counter.textContent = text;
    counter.classList.toggle("too-short", short);
    counter.classList.toggle("too-long", long);
  };
  field.addEventListener("input", update);
  update();
}

/** A seat's instruction matters only for a custom role: hide it otherwise (unless filled). */
function bindSeat(seat: HTMLElement): void {
  const role = seat.querySelector<HTMLSelectElement>("select[name$='-role']");
  const box = seat.querySelector<HTMLElement>("[data-instruction]");
  if (!role || !box || seat.dataset.seatBound) return;
  seat.dataset.seatBound = "1";
  const instruction = box.querySelector<HTMLTextAreaElement>("textarea");
  const update = (): void => {
    box.hidden = role.value !== "custom" && !(instruction?.value.trim() ?? "");
  };
  role.addEventListener("change", update);
  update();
}

/** Forms marked data-busy-form: on submit, their submit button says it is working. */
function bindBusyForm(form: HTMLFormElement): void {
  if (form.dataset.busyBound) return;
  form.dataset.busyBound = "1";
  form.addEventListener("submit", () => {
    form.querySelectorAll<HTMLButtonElement>("button[type=submit][data-busy-label]").forEach((button) => {
      button.dataset.idleLabel = button.textContent ?? "";
      button.textContent = button.dataset.busyLabel ?? "";
      button.setAttribute("aria-busy", "true");
      // After this event, so the submission itself still goes ahead.
      window.setTimeout(() => {
        button.disabled = true;
      }, 0);
    });
  });
}

/** Coming back through the history cache: buttons must not stay busy. */
function resetBusyButtons(): void {
  document.querySelectorAll<HTMLButtonElement>("button[aria-busy=true]").forEach((button) => {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    if (button.dataset.idleLabel) button.textContent = button.dataset.idleLabel;
  });
}

function enhance(root: ParentNode): void {
  root.querySelectorAll<HTMLTextAreaElement>("textarea[data-counter]").forEach(bindCounter);
  root.querySelectorAll<HTMLElement>("[data-seat]").forEach(bindSeat);
  root.querySelectorAll<HTMLFormElement>("form[data-busy-form]").forEach(bindBusyForm);
}

// --- Error states of htmx regions --------------------------------------------------------

interface HtmxDetail {
  elt: Element;
  target?: Element | null;
  xhr?: XMLHttpRequest;
  successful?: boolean;
  shouldSwap?: boolean;
  isError?: boolean;
}

function regionOf(detail: HtmxDetail | undefined): HTMLElement | null {
  // History restores and some errors come without an element.
  const from = detail?.target?.isConnected ? detail.target : detail?.elt;
  return from?.isConnected ? from.closest<HTMLElement>("[data-async-region]") : null;
}

function showRegionError(detail: HtmxDetail | undefined, failed: boolean): void {
  const region = regionOf(detail);
  const message = region?.querySelector<HTMLElement>(".async-error");
  if (!region || !message) return;
  message.hidden = !failed;
  region.classList.toggle("has-async-error", failed);
}

document.addEventListener("htmx:beforeSwap", (event) => {
  // Our 400 answers in a data-swap-errors region are fragments meant to be shown (an error
  // state), not failures to report.
  const detail = (event as CustomEvent<HtmxDetail>).detail;
  if (detail?.xhr?.status === 400 && detail.target?.closest("[data-swap-errors]")) {
    detail.shouldSwap = true;
    detail.isError = false;
  }
});
document.addEventListener("htmx:afterRequest", (event) => {
  const detail = (event as CustomEvent<HtmxDetail>).detail;
  showRegionError(detail, detail?.successful === false);
});
document.addEventListener("htmx:sendError", (event) => {
  showRegionError((event as CustomEvent<HtmxDetail>).detail, true);
});

document.addEventListener("DOMContentLoaded", () => enhance(document));
document.addEventListener("htmx:afterSwap", (event) => {
  const target = (event as CustomEvent<{ target?: Element }>).detail?.target;
  // An outerHTML swap replaces the target, and a history restore has none: enhance the whole
  // page then (binding is idempotent).
  enhance(target?.isConnected ? target : document);
});
document.addEventListener("htmx:historyRestore", () => {
  enhance(document);
  resetBusyButtons();
});
window.addEventListener("pageshow", resetBusyButtons);

export {};
