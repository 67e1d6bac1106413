// Runs the front-end unit tests: each frontend/tests/*.test.ts is bundled by esbuild into a
// temporary directory and run with node's own test runner (`npm test`, `make jstest`).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const tests = readdirSync(here)
  .filter((name) => name.endsWith(".test.ts"))
  .sort()
  .map((name) => join(here, name));
if (tests.length === 0) {
  console.error("no frontend/tests/*.test.ts found");
  process.exit(1);
}
const out = mkdtempSync(join(tmpdir(), "consultation-jstest-"));
try {
  await build({
    entryPoints: tests,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir: out,
    outExtension: { ".js": ".mjs" },
    sourcemap: "inline",
    logLevel: "warning",
  });
  const bundles = readdirSync(out)
    .filter((name) => name.endsWith(".mjs"))
    .sort()
    .map((name) => join(out, name));
  const result = spawnSync(process.execPath, ["--test", ...bundles], { stdio: "inherit" });
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
