import { describe, expect, it } from "vitest";
import { app, assertWhole, backupState, baseline, cloneId, crashAndRecover, dumpId, liveDatabases, mods, resetToBaseline, shop, SWAP, useCrashSuite } from "@/test/fixtures/crash-suite";

// Crash tests, part 3: rollbacks from a clone and undos killed at each step. See test/fixtures/crash-suite.ts for the world and what "whole" means.

useCrashSuite("shop-crash-c");

describe("crash during a rollback from a clone, then recovery", () => {
  for (const step of ["rollback:staging", "rollback:stop", ...SWAP, "rollback:switch", "rollback:start"]) {
    it(`code+database rollback from a clone killed at ${step}`, async () => {
      const { jobId } = await crashAndRecover({ kind: "rollback", targetRelease: "r2", restoreDatabase: true, backupId: cloneId }, step);
      await assertWhole(jobId, { fp: baseline, release: "r3" }, { fp: backupState, release: "r2" });
      expect(await liveDatabases()).toContainEqual(expect.objectContaining({ name: (await mods.backups.getBackup(shop.appId, cloneId))!.name }));
      await resetToBaseline();
    });
  }
});

describe("crash during an undo, then recovery", () => {
  for (const step of ["rollback:stop", ...SWAP, "rollback:switch", "rollback:start"]) {
    it(`undo of a code+database rollback killed at ${step}`, async () => {
      const rb = await mods.jobs.startRollback({ app: await app(), targetRelease: "r2", restoreDatabase: true, backupId: dumpId, actor: "t" });
      expect((await rb.done).status).toBe("ok");
      const { jobId } = await crashAndRecover({ kind: "undo", jobId: rb.jobId }, step);
      await assertWhole(jobId, { fp: backupState, release: "r2" }, { fp: baseline, release: "r3" });
      await resetToBaseline();
    });
  }
});
