import { describe, expect, it } from "vitest";
import { assertWhole, backupState, baseline, crashAndRecover, dumpId, resetToBaseline, STAGING_DUMP, SWAP, useCrashSuite } from "@/test/fixtures/crash-suite";

// Crash tests, part 2: code+database rollbacks from a dump and code-only rollbacks killed at each step. See test/fixtures/crash-suite.ts for the world and what "whole" means.

useCrashSuite("shop-crash-b");

describe("crash during a rollback, then recovery", () => {
  for (const step of [...STAGING_DUMP, "rollback:stop", ...SWAP, "rollback:switch", "rollback:start", "rollback:health"]) {
    it(`code+database rollback from a dump killed at ${step}`, async () => {
      const { jobId, report } = await crashAndRecover({ kind: "rollback", targetRelease: "r2", restoreDatabase: true, backupId: dumpId }, step);
      const which = await assertWhole(jobId, { fp: baseline, release: "r3" }, { fp: backupState, release: "r2" });
      // The swap is the point of no return: before it recovery reverts, after it recovery finishes.
      const swapped = ["rollback:switch", "rollback:start", "rollback:health"].includes(step);
      expect(which, report.decisions.join("; ")).toBe(swapped ? "after" : "before");
      await resetToBaseline();
    });
  }
  for (const step of ["rollback:stop", "rollback:switch", "rollback:start", "rollback:health"]) {
    it(`code-only rollback killed at ${step}`, async () => {
      const { jobId } = await crashAndRecover({ kind: "rollback", targetRelease: "r2", restoreDatabase: false }, step);
      await assertWhole(jobId, { fp: baseline, release: "r3" }, { fp: baseline, release: "r2" });
      await resetToBaseline();
    });
  }
});

