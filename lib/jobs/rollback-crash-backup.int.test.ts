import fs from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { assertWhole, backupState, baseline, crashAndRecover, dumpId, mods, resetToBaseline, shop, STAGING_DUMP, SWAP, useCrashSuite } from "@/test/fixtures/crash-suite";

// Crash tests, part 1: backups and database-only restores killed at each step, then recovery. See test/fixtures/crash-suite.ts for the world and what "whole" means.

useCrashSuite("shop-crash-a");

describe("crash during a backup, then recovery", () => {
  for (const [method, steps] of [
    ["dump", ["backup:started", "dump:start", "dump:verified", "dump:renamed"]],
    ["clone", ["backup:started", "clone:disallowed", "clone:creating", "clone:created"]],
  ] as const) {
    for (const step of steps) {
      it(`${method} backup killed at ${step}`, async () => {
        const { jobId, report } = await crashAndRecover({ kind: "backup", method, endSessions: true }, step);
        const state = { fp: baseline, release: "r3" };
        await assertWhole(jobId, state, state);
        const row = await mods.backups.getBackupByJob(jobId);
        expect(["ok", "interrupted"]).toContain(row?.status);
        if (method === "dump") expect((await fs.readdir(shop.backupsDir)).filter((f) => f.endsWith(".partial"))).toEqual([]);
        expect(report.decisions.length).toBeGreaterThan(0);
      });
    }
  }
});


describe("crash during a restore (database only), then recovery", () => {
  for (const step of [...STAGING_DUMP, "rollback:stop", ...SWAP, "rollback:start", "rollback:health"]) {
    it(`restore from a dump killed at ${step}`, async () => {
      const { jobId } = await crashAndRecover({ kind: "restore", backupId: dumpId }, step);
      await assertWhole(jobId, { fp: baseline, release: "r3" }, { fp: backupState, release: "r3" });
      await resetToBaseline();
    });
  }
});

