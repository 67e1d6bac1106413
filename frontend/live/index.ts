// Live debate and replay client (filled in by the live-view work).
export {};
