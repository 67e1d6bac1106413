// The header's menu: a <details> that folds the links behind "Menu" on phones (it works
// without JavaScript). Here: open on wide screens (for browsers without ::details-content),
// closed on narrow ones, and closed again by Escape or a click outside.
const NARROW = window.matchMedia("(max-width: 820px)");

function sync(menu: HTMLDetailsElement): void {
  menu.open = !NARROW.matches;
}

function bind(menu: HTMLDetailsElement): void {
  sync(menu);
  NARROW.addEventListener("change", () => sync(menu));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && NARROW.matches && menu.open) {
      menu.open = false;
      menu.querySelector<HTMLElement>("summary")?.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (NARROW.matches && menu.open && event.target instanceof Node && !menu.contains(event.target)) {
      menu.open = false;
    }
  });
}

function boot(): void {
  document.querySelectorAll<HTMLDetailsElement>("details[data-nav-menu]").forEach(bind);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
