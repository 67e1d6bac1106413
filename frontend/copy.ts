// Copy buttons: `<button data-copy-text="…">` copies that text, `data-copy-from="#id"` the
// text content of that element (e.g. a hidden block holding the Markdown). One delegated listener (no inline handlers); the label says
// "Copied" (data-copied-label, translated by the server) for two seconds.

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const button = target?.closest<HTMLButtonElement>("button[data-copy-text], button[data-copy-from]");
  if (!button) return;
  let text = button.dataset.copyText ?? "";
  if (button.dataset.copyFrom) {
    // textContent: the source as written (Markdown), also from a hidden element.
    text = document.querySelector<HTMLElement>(button.dataset.copyFrom)?.textContent ?? "";
  }
  void copyText(text.trim()).then((ok) => {
    if (!ok) return;
    const label = button.dataset.label ?? button.textContent ?? "";
    button.dataset.label = label;
    button.textContent = button.dataset.copiedLabel ?? "Copied";
    button.classList.add("is-copied");
    window.setTimeout(() => {
      button.textContent = label;
      button.classList.remove("is-copied");
    }, 2000);
  });
});
