// Entry point of the browser bundle: htmx, progressive enhancements, and a visible error
// state for every htmx request that fails (an error never leaves a blank area).
import htmx from "htmx.org";

import "./forms";
import "./live/index";

declare global {
  interface Window {
    htmx: typeof htmx;
  }
}

window.htmx = htmx;
// htmx would add its indicator rules as a <style> element, which the Content-Security-Policy
// (style-src 'self') refuses; the same rules are in static/css/app.css.
htmx.config.includeIndicatorStyles = false;
document.documentElement.classList.add("js");

/** Forms marked data-autosubmit submit as soon as one of their selects changes. */
function enableAutosubmit(root: ParentNode): void {
  root.querySelectorAll<HTMLFormElement>("form[data-autosubmit]").forEach((form) => {
    form.querySelectorAll("select").forEach((select) => {
      select.addEventListener("change", () => form.requestSubmit());
    });
  });
}

/** Show a short notice at the top of the page; used for failed background requests. */
export function notify(message: string, tone: "error" | "info" = "info"): void {
  let region = document.getElementById("notices");
  if (!region) {
    region = document.createElement("div");
    region.id = "notices";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    document.body.prepend(region);
  }
  const notice = document.createElement("p");
  notice.className = `notice ${tone}`;
  notice.textContent = message;
  region.append(notice);
  window.setTimeout(() => notice.remove(), 6000);
}

/** Translated by the server: base.html puts the message on <body data-msg-request-failed>. */
function requestFailedMessage(): string {
  return document.body.dataset.msgRequestFailed ?? "The request could not be completed.";
}

document.addEventListener("DOMContentLoaded", () => enableAutosubmit(document));
document.addEventListener("htmx:afterSwap", (event) => {
  const target = (event as CustomEvent<{ target: Element }>).detail.target;
  enableAutosubmit(target);
});
document.addEventListener("htmx:responseError", () => notify(requestFailedMessage(), "error"));
document.addEventListener("htmx:sendError", () => notify(requestFailedMessage(), "error"));
