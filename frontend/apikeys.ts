// The API keys page (/settings/api-keys/): the copy-once dialog of a new key, its copy
// button, and the confirmation before a key is revoked. No inline script: the page marks
// what it wants with data attributes.

/** The dialog that shows a new key once opens by itself (modal, so it is not missed). */
function openOnLoad(root: ParentNode): void {
  root.querySelectorAll<HTMLDialogElement>("dialog[data-open-on-load]").forEach((dialog) => {
    if (!dialog.open) dialog.showModal();
  });
}

/** Buttons marked data-copy-target copy that field's value and say so. */
function bindCopy(button: HTMLButtonElement): void {
  if (button.dataset.copyBound) return;
  button.dataset.copyBound = "1";
  button.addEventListener("click", () => {
    const field = document.getElementById(button.dataset.copyTarget ?? "");
    if (!(field instanceof HTMLInputElement)) return;
    field.select();
    const done = (): void => {
      button.textContent = button.dataset.copiedLabel ?? "Copied";
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, () => {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
}

/** Forms marked data-confirm ask before they submit (revoking a key cannot be undone). */
function bindConfirm(form: HTMLFormElement): void {
  if (form.dataset.confirmBound) return;
  form.dataset.confirmBound = "1";
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm ?? "")) event.preventDefault();
  });
}

function enhance(root: ParentNode): void {
  root.querySelectorAll<HTMLButtonElement>("button[data-copy-target]").forEach(bindCopy);
  root.querySelectorAll<HTMLFormElement>("form[data-confirm]").forEach(bindConfirm);
  openOnLoad(root);
}

document.addEventListener("DOMContentLoaded", () => enhance(document));
