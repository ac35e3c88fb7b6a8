import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, useMetaDb } from "@/test/helpers";
import { crashAndRecover, useCrashLeases } from "@/test/fixtures/crash-worker";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";

// A guarded release whose worker is SIGKILLed mid-backup, before the switch and after it (the app stopped):
// recovery settles the backup row (never left "running"), `current` is one complete release, the app runs it,
// no temporary link is left, and calling the release again starts a new job that completes it.
let shop: ShopApp;
let metaUrl: string;
let m: {
  apps: typeof import("@/lib/db/queries/apps");
  backups: typeof import("@/lib/db/queries/backups");
  jobQueries: typeof import("@/lib/db/queries/jobs");
  release: typeof import("./release-job");
  jobs: typeof import("@/lib/jobs");
  releases: typeof import("@/lib/ops/releases");
  client: typeof import("@/lib/db/client");
};
const app = async () => (await m.apps.getAppById(shop.appId))!;

useCrashLeases();

beforeAll(async () => {
  metaUrl = await useMetaDb();
  m = {
    apps: await import("@/lib/db/queries/apps"),
    backups: await import("@/lib/db/queries/backups"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    release: await import("./release-job"),
    jobs: await import("@/lib/jobs"),
    releases: await import("@/lib/ops/releases"),
    client: await import("@/lib/db/client"),
  };
  shop = await setupShopApp({ slug: "shop-relcrash", releases: ["r2", "r1"] });
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  await m?.client.closeDb();
});

describe("crash during a guarded release, then recovery", () => {
  for (const step of ["dump:start", "rollback:switch", "rollback:start"]) {
    it(`killed at ${step}`, async () => {
      const { jobId, report } = await crashAndRecover(shop.appId, { kind: "release", release: "r2" }, step);
      expect((await m.jobQueries.getJob(jobId))?.status).toBe("interrupted");
      // Announced as what it was: a rule listening for failed releases is paged, not one for rollbacks.
      if (step !== "dump:start") {
        const events = await queryRows<{ kind: string; summary: string }>(metaUrl, `SELECT kind, summary FROM app_events WHERE job_id = ${jobId} AND kind LIKE '%.failed'`);
        expect(events.map((e) => e.kind)).toEqual(["release.failed"]);
        expect(events[0]!.summary).toMatch(new RegExp(`^Release r2 of shop-relcrash \\(job #${jobId}\\) was interrupted`));
      }
      const backup = await m.backups.getBackupByJob(jobId);
      expect(backup?.status, report.decisions.join("; ")).not.toBe("running");
      if (step !== "dump:start") expect(backup?.status).toBe("ok");
      const current = await m.releases.readCurrentRelease(shop.root);
      expect(["r1", "r2"]).toContain(current);
      expect(current).toBe(step === "rollback:start" ? "r2" : "r1");
      expect(await m.releases.isCompleteRelease(shop.root, current!)).toBe(true);
      expect((await fs.readdir(shop.root)).filter((n) => n.startsWith("current.tmp-"))).toEqual([]);
      expect((await shop.api()).release).toBe(current);

      // The interrupted job is not reused: a retry releases r2 (or, if recovery finished it, says so).
      if (current === "r1") {
        const again = await m.release.startRelease({ app: await app(), release: "r2", actor: "retry" });
        expect(again.reused).toBe(false);
        expect((await again.done).status).toBe("ok");
      }
      expect(await m.releases.readCurrentRelease(shop.root)).toBe("r2");
      // Back to r1 for the next case.
      const back = await m.jobs.startSwitchRelease({ app: await app(), release: "r1", actor: "reset" });
      expect((await back.done).status).toBe("ok");
    });
  }
});
