// Progressive enhancements of the debate forms (filled in by the pages work).
export {};
