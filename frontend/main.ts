// Entry point of the browser bundle: htmx, progressive enhancements, and a visible error
// state for every htmx request that fails (an error never leaves a blank area).
import htmx from "htmx.org";

import "./apikeys";
import "./copy";
import "./forms";
import "./history";
import "./nav";
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

// Charts are heavy (Chart.js is ~150 KB): their modules are separate chunks, fetched only by
// the pages that draw one (the usage page, an evaluation report). The bundle is an ES module,
// so the DOM is parsed when this runs.
if (document.querySelector("canvas[data-usage-chart]")) {
  void import("./usage").then((usage) => usage.start());
}
if (document.querySelector("canvas[data-chart-source]")) {
  void import("./evals").then((evals) => evals.start());
}
document.addEventListener("htmx:afterSwap", (event) => {
  // A history restore swaps without a target: the whole page then.
  const target = (event as CustomEvent<{ target?: Element }>).detail?.target;
  enableAutosubmit(target?.isConnected ? target : document);
});
document.addEventListener("htmx:historyRestore", () => enableAutosubmit(document));
/** The sentence and link of a plan limit (quota, plan restriction, rate limit), when the
 * failed response is one: the server answers htmx requests with the error's JSON. */
export function limitOf(body: string): { detail: string; upgradeUrl: string } | null {
  try {
    const error: unknown = JSON.parse(body);
    if (typeof error !== "object" || error === null) return null;
    const { detail, upgrade_url: upgradeUrl } = error as Record<string, unknown>;
    if (typeof detail !== "string" || typeof upgradeUrl !== "string") return null;
    if (!upgradeUrl.startsWith("/")) return null; // our own pages only
    return { detail, upgradeUrl };
  } catch {
    return null;
  }
}

/** A limit stays on screen until dismissed by navigation: the sentence and "See the plans". */
export function showLimit(detail: string, upgradeUrl: string): void {
  const banner = document.createElement("div");
  banner.className = "banner limit";
  banner.setAttribute("role", "alert");
  banner.dataset.limitBanner = "";
  const sentence = document.createElement("p");
  sentence.textContent = detail;
  const link = document.createElement("a");
  link.className = "button small";
  link.href = upgradeUrl;
  link.textContent = document.body.dataset.msgSeePlans ?? "See the plans";
  banner.append(sentence, link);
  document.querySelectorAll("[data-limit-banner]").forEach((old) => old.remove());
  (document.getElementById("main") ?? document.body).prepend(banner);
}

document.addEventListener("htmx:responseError", (event) => {
  const xhr = (event as CustomEvent<{ xhr: XMLHttpRequest }>).detail.xhr;
  const limit = limitOf(xhr.responseText);
  if (limit) showLimit(limit.detail, limit.upgradeUrl);
  else notify(requestFailedMessage(), "error");
});
document.addEventListener("htmx:sendError", () => notify(requestFailedMessage(), "error"));
