import { describe, expect, it } from "vitest";
import { parseLogLines, phasesOf } from "./job-log";

const log = [
  "23:59:50 — check",
  "23:59:51 shop_staging: 4 tables, 1,024 rows",
  "23:59:58 — swap",
  "00:00:03 $ systemctl start shop   (in /srv/shop)",
  "00:00:10 — health",
].join("\n");

describe("job log", () => {
  it("finds commands and strips the working-directory note", () => {
    const lines = parseLogLines(log);
    expect(lines.filter((l) => l.command).map((l) => l.command)).toEqual(["systemctl start shop"]);
    expect(lines[1]).toMatchObject({ time: "23:59:51", text: "shop_staging: 4 tables, 1,024 rows", command: null });
  });

  it("gives each phase the time until the next one, across midnight, and the last one until the end", () => {
    expect(phasesOf(parseLogLines(log), "00:00:14")).toEqual([
      { name: "check", startSec: 0, durationSec: 8 },
      { name: "swap", startSec: 8, durationSec: 12 },
      { name: "health", startSec: 20, durationSec: 4 },
    ]);
  });

  it("leaves the running phase open", () => {
    expect(phasesOf(parseLogLines(log), null).at(-1)).toEqual({ name: "health", startSec: 20, durationSec: null });
  });

  it("reads unstamped lines without inventing phases", () => {
    expect(phasesOf(parseLogLines("recovery: rolled back\nplain"), null)).toEqual([]);
  });
});
