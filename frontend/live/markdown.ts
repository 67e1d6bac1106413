/**
 * Model text as sanitised HTML, rendered in the browser: while a turn streams, when it
 * completes and for the chair's answer, so the text looks the same throughout and no request
 * goes back to the server for it.
 *
 * The same rules as the server's debates/rendering.py (a test compares the two lists):
 * markdown-it's CommonMark without raw HTML (the Python renderer is its port), tables on,
 * then DOMPurify with the server's nh3 allow-list of tags, attributes and link schemes.
 */
import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

const markdown = new MarkdownIt("commonmark", { html: false, linkify: false }).enable("table");

export const ALLOWED_TAGS = [
  "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
  "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
];
export const ALLOWED_ATTR = ["href", "title", "align"];
/** http, https and mailto links, and relative ones (no scheme), as nh3's url_schemes. */
const ALLOWED_URI = /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;
const LINK_REL = "nofollow noopener noreferrer";

let hooked = false;

export function renderMarkdown(text: string): string {
  if (!hooked) {
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A") node.setAttribute("rel", LINK_REL);
    });
    hooked = true;
  }
  return DOMPurify.sanitize(markdown.render(text || ""), {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOWED_URI_REGEXP: ALLOWED_URI,
  });
}
