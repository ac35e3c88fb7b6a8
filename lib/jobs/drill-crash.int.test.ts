import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useMetaDb } from "@/test/helpers";
import { setupSeedDumpApp, type SeedDumpApp } from "@/test/fixtures/seed-dump-app";
import { spawnWorker, waitFor, type WorkerProc } from "@/test/fixtures/workers";
import { importJobModules, type JobModules } from "@/test/fixtures/job-modules";

// A drill whose worker dies (SIGKILL via LIFEBOAT_CRASH_AT) right after the scratch database was restored:
// another worker's watchdog takes the job over and drops the scratch. Real worker processes.
process.env.LIFEBOAT_WORKER_INPROCESS = "0";

let shop: SeedDumpApp;
let workers: WorkerProc[] = [];
let mods: JobModules & {
  drill: typeof import("@/lib/jobs/drill-job");
};


beforeAll(async () => {
  await useMetaDb();
  mods = {
    ...(await importJobModules()),
    drill: await import("@/lib/jobs/drill-job"),
  };
  shop = await setupSeedDumpApp("shop-drill-crash");
});
afterAll(async () => {
  for (const w of workers) await w.stop().catch(() => {});
  await mods?.client.closeDb();
});

describe("a drill whose worker is killed", () => {
  it("leaves a scratch database that recovery drops; the job ends interrupted", async () => {
    const crashing = await spawnWorker("drill-crash", { LIFEBOAT_CRASH_AT: "restore:restored" });
    workers.push(crashing);
    const app = (await mods.apps.getAppById(shop.appId))!;
    const backup = await mods.jobs.startBackup({ app, method: "dump", actor: "t" });
    expect((await backup.done).status).toBe("ok");
    const b = (await mods.backups.getBackupByJob(backup.jobId))!;
    const { jobId } = await mods.drill.startDrill(app, b.id, "t");
    expect((await crashing.exited).signal).toBe("SIGKILL");
    // The worker died with its restored scratch copy on the server.
    expect((await shop.otherDbs()).filter((n) => n.includes("_staging_"))).toHaveLength(1);
    workers.push(await spawnWorker("drill-rescue"));
    await waitFor(async () => (await mods.jobQueries.getJob(jobId))?.status === "interrupted", 60_000, async () => `job: ${JSON.stringify(await mods.jobQueries.getJob(jobId))}`);
    const job = (await mods.jobQueries.getJob(jobId))!;
    expect(job.error).toMatch(/dropped the staging database .* \(the scratch copy of a drill that died\)/);
    expect((await shop.otherDbs()).filter((n) => n.includes("_staging_"))).toEqual([]);
    expect((await mods.backups.getBackup(shop.appId, b.id))?.drilledAt).toBeNull();
  });
});
