// Back and Forward through htmx history (the debate list pushes its filters into the URL).
// htmx restores the page from its snapshot of the HTML, which holds no typed values: the
// search box and the selects would come back empty while the URL still holds them. So the
// filters of every form that pushes its URL are set again from the URL after a restore.

/** Set the named fields of `form` from `params`; a field the URL does not name is reset. */
export function fillFromUrl(form: HTMLFormElement, params: URLSearchParams): void {
  for (const element of Array.from(form.elements)) {
    if (!(element instanceof HTMLInputElement || element instanceof HTMLSelectElement ||
          element instanceof HTMLTextAreaElement) || !element.name) continue;
    if (element instanceof HTMLInputElement && (element.type === "hidden" || element.type === "submit")) {
      continue;
    }
    const value = params.get(element.name);
    if (element instanceof HTMLInputElement && (element.type === "radio" || element.type === "checkbox")) {
      element.checked = value === null ? element.defaultChecked : value === element.value;
    } else if (element instanceof HTMLSelectElement) {
      element.value = value ?? "";
      if (element.selectedIndex < 0) element.selectedIndex = 0;
    } else {
      element.value = value ?? "";
    }
  }
}

function restoreForms(): void {
  const params = new URLSearchParams(window.location.search);
  document
    .querySelectorAll<HTMLFormElement>("form[hx-push-url='true'], form[data-hx-push-url='true']")
    .forEach((form) => fillFromUrl(form, params));
}

document.addEventListener("htmx:historyRestore", restoreForms);
window.addEventListener("pageshow", (event) => {
  // The browser's own back-forward cache keeps values; a plain reload of a pushed URL too.
  if (!event.persisted) restoreForms();
});
