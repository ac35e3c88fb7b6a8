// npm test: the whole suite. Unit and integration tests (vitest, on a throwaway PostgreSQL cluster the
// harness starts), a production build, then the end-to-end tests in Debian's Chromium (Playwright).
// Ends with one line "tests: N passed, N failed".
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { requirePrereqs } from "./lib/prereqs";

const bin = (name: string) => path.join(process.cwd(), "node_modules", ".bin", name);
const reports = fs.mkdtempSync(path.join(os.tmpdir(), "lifeboat-reports-"));

function step(title: string, file: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  console.log(`\n━━ ${title} ━━`);
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: "inherit", env: { ...process.env, ...env } });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function readJson(file: string): any {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

async function main() {
  await requirePrereqs({ chromium: true, pgbouncer: true, ansible: true });
  let passed = 0;
  let failed = 0;
  let broken: string[] = [];

  const vitestJson = path.join(reports, "vitest.json");
  const unit = await step("unit + integration (vitest)", bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestJson}`]);
  const v = readJson(vitestJson);
  if (v) {
    passed += v.numPassedTests ?? 0;
    failed += (v.numFailedTests ?? 0) + (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
  }
  if (unit !== 0) broken.push("vitest");

  const build = await step("production build (next build)", bin("next"), ["build"], { NEXT_TELEMETRY_DISABLED: "1" });
  if (build !== 0) {
    broken.push("next build");
  } else {
    const pwJson = path.join(reports, "playwright.json");
    const e2e = await step("end-to-end (Playwright, Chromium)", bin("playwright"), ["test"], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson });
    const p = readJson(pwJson);
    if (p?.stats) {
      passed += p.stats.expected ?? 0;
      failed += (p.stats.unexpected ?? 0) + (p.stats.flaky ?? 0) + (p.stats.skipped ?? 0);
    }
    if (e2e !== 0) broken.push("playwright");
  }
  fs.rmSync(reports, { recursive: true, force: true });
  if (broken.length && failed === 0) failed = broken.length;
  console.log(`\n${broken.length ? `failed stages: ${broken.join(", ")}\n` : ""}tests: ${passed} passed, ${failed} failed`);
  process.exit(broken.length || failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
