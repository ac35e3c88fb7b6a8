import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useMetaDb } from "@/test/helpers";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";

// The health policy, the release history and the submit-time checks end to end: real releases served by
// the demo app (r2's /health answers 500), the in-process worker running the jobs and the automatic undo.
let shop: ShopApp;
let m: {
  apps: typeof import("@/lib/db/queries/apps");
  jobs: typeof import("@/lib/jobs");
  jobQueries: typeof import("@/lib/db/queries/jobs");
  events: typeof import("@/lib/db/queries/release-events");
  releases: typeof import("@/lib/ops/releases");
  resolve: typeof import("@/lib/jobs/rollback-resolve");
  history: typeof import("@/lib/jobs/release-history");
  client: typeof import("@/lib/db/client");
};
const app = async () => (await m.apps.getAppById(shop.appId))!;

/** The automatic undo of `jobId`, once the worker has started it and it has ended. */
async function autoUndoOf(jobId: number) {
  for (let i = 0; i < 200; i++) {
    const jobs = await m.jobQueries.listJobs(shop.appId, 20);
    const undo = jobs.find((j) => j.type === "undo" && (j.params as { undoOf?: number }).undoOf === jobId);
    if (undo && ["ok", "failed", "interrupted"].includes(undo.status)) return undo;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no automatic undo of job #${jobId} ended`);
}

beforeAll(async () => {
  await useMetaDb();
  m = {
    apps: await import("@/lib/db/queries/apps"),
    jobs: await import("@/lib/jobs"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    events: await import("@/lib/db/queries/release-events"),
    releases: await import("@/lib/ops/releases"),
    resolve: await import("@/lib/jobs/rollback-resolve"),
    history: await import("@/lib/jobs/release-history"),
    client: await import("@/lib/db/client"),
  };
  shop = await setupShopApp({ slug: "shop-hp", releases: ["r1", "r2", "r3"], unhealthy: ["r2"], healthTimeoutSec: 2 });
  expect(await shop.api()).toMatchObject({ release: "r3" });
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  await m?.client.closeDb();
});

describe("health policy", () => {
  it("undo (the default): a switch that fails its health check is undone at once, and the undo is health-checked", async () => {
    expect((await app()).healthPolicy).toBe("undo");
    const { jobId, done } = await m.jobs.startSwitchRelease({ app: await app(), release: "r2", actor: "oncall" });
    const outcome = await done;
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "health_failed", message: expect.stringMatching(/Health policy of shop-hp: undo/) });
    const undo = await autoUndoOf(jobId);
    expect(undo.status, undo.log).toBe("ok");
    expect(undo.actor).toBe("lifeboat (health policy)");
    expect(await m.releases.readCurrentRelease(shop.root)).toBe("r3");
    expect(await shop.api()).toMatchObject({ release: "r3" });
    // Nothing loops: exactly one undo, and nothing after it.
    const after = await m.jobQueries.listJobs(shop.appId, 20);
    expect(after.filter((j) => j.type === "undo")).toHaveLength(1);
    expect(after[0]!.id).toBe(undo.id);
  });

  it("records the history, and the default rollback target is then the last healthy release, not the failed one", async () => {
    const events = await m.events.listReleaseEvents(shop.appId);
    const kinds = events.map((e) => `${e.release}:${e.kind}`).reverse();
    expect(kinds).toEqual(["r2:became_current", "r2:health_failed", "r3:became_current"]);
    expect(events.find((e) => e.kind === "health_failed")).toMatchObject({ actor: "oncall", jobId: expect.any(Number) });
    const r = await m.resolve.resolveRollback({ app: await app(), restoreDatabase: false });
    expect(r.release).toBe("r1");
  });

  it("a release marked bad is never the default and needs confirmBad to become current", async () => {
    await m.history.markRelease(await app(), "r1", true, "oncall", "corrupts orders");
    await expect(m.resolve.resolveRollback({ app: await app(), restoreDatabase: false })).rejects.toMatchObject({ code: "no_previous_release" });
    await expect(m.jobs.startRollback({ app: await app(), targetRelease: "r1", restoreDatabase: false, actor: "oncall" })).rejects.toMatchObject({
      code: "release_marked_bad",
      message: expect.stringContaining("corrupts orders"),
    });
    const preview = await m.jobs.previewRollback({ kind: "rollback", app: await app(), targetRelease: "r1", restoreDatabase: false });
    expect(preview.targetMarkedBad).toMatchObject({ by: "oncall" });
    expect(preview.plan.warnings[0]).toMatch(/r1 is marked bad/);
    await m.history.markRelease(await app(), "r1", false, "oncall");
    expect((await m.resolve.resolveRollback({ app: await app(), restoreDatabase: false })).release).toBe("r1");
  });

  it("refuses at submit when the world changed since the plan was shown", async () => {
    const preview = await m.jobs.previewRollback({ kind: "switch_release", app: await app(), release: "r1" });
    expect(preview.expect.current).toBe("r3");
    await expect(
      m.jobs.startSwitchRelease({ app: await app(), release: "r1", actor: "oncall", expect: { ...preview.expect, current: "r2" } }),
    ).rejects.toMatchObject({ code: "state_changed", message: expect.stringMatching(/current is now r3.*review the plan again/) });
    await expect(
      m.jobs.startSwitchRelease({ app: await app(), release: "r1", actor: "oncall", expect: { ...preview.expect, lastChangeJobId: preview.expect.lastChangeJobId - 1 } }),
    ).rejects.toMatchObject({ code: "state_changed" });
    expect((await m.jobQueries.listJobs(shop.appId, 1))[0]!.type).toBe("undo");
  });

  it("keep: the job ends failed with a clear message and nothing is undone", async () => {
    await m.apps.setAppHealthPolicy(shop.appId, "keep");
    const { jobId, done } = await m.jobs.startSwitchRelease({ app: await app(), release: "r2", actor: "oncall" });
    const outcome = await done;
    expect(outcome.error).toMatchObject({ code: "health_failed", message: expect.stringMatching(/Health policy of shop-hp: keep/) });
    await new Promise((r) => setTimeout(r, 1500));
    const latest = (await m.jobQueries.listJobs(shop.appId, 1))[0]!;
    expect(latest.id).toBe(jobId);
    expect(await m.releases.readCurrentRelease(shop.root)).toBe("r2");
    // An operator's undo: health-checked, and itself never undone automatically.
    const undo = await m.jobs.startUndo({ app: await app(), jobId, actor: "oncall" });
    expect((await undo.done).status).toBe("ok");
    expect(await m.releases.readCurrentRelease(shop.root)).toBe("r3");
  });

  // A guarded release records "deployed" before its switch: that must not count as its health verdict (an outside
  // tester's SIGKILL during a release's health check left the bad release serving, never checked or undone).
  it.each(["switch_release", "release"] as const)("a %s interrupted before its health check (recovery finished it) is checked once afterwards and undone when unhealthy", async (type) => {
    await m.apps.setAppHealthPolicy(shop.appId, "undo");
    const { buildChangeRecord } = await import("@/lib/ops/change-record");
    const { applyHealthPolicy } = await import("@/lib/jobs/health-policy");
    // What recovery leaves after a worker died during the health check: current switched, the app started.
    await m.releases.switchRelease(shop.root, "r2");
    await shop.appctl("stop");
    await shop.appctl("start");
    const jobId = await m.jobQueries.insertJob({ appId: shop.appId, type, params: { release: "r2" }, actor: "deploy", owner: "gone" });
    if (type === "release") await m.events.recordReleaseEvents(shop.appId, [{ release: "r2", kind: "deployed", actor: "deploy", jobId, note: "backup taken first" }]);
    const record = buildChangeRecord(
      { kind: "switch_release", live: shop.db, staging: null, preRollbackDb: null, preRollbackBackupId: null, startRelease: "r3", restoredFrom: null, undoOf: null },
      { swapped: false, switched: true, previousRelease: "r3", release: "r2", recovered: true },
    );
    await m.jobQueries.updateJob(jobId, { status: "interrupted", phase: "interrupted", errorCode: "interrupted", result: record, finishedAt: new Date() });
    const d = await applyHealthPolicy(jobId);
    // The in-process worker's scan pass may look at it at the same moment: either way, exactly one undo.
    const undo = await autoUndoOf(jobId);
    if (d.undoJobId) expect(d.undoJobId).toBe(undo.id);
    expect(undo.status).toBe("ok");
    const undos = (await m.jobQueries.listJobs(shop.appId, 20)).filter((j) => j.type === "undo" && (j.params as { undoOf?: number }).undoOf === jobId);
    expect(undos).toHaveLength(1);
    expect(await m.releases.readCurrentRelease(shop.root)).toBe("r3");
    const events = (await m.events.listReleaseEvents(shop.appId)).filter((e) => e.jobId === jobId);
    expect(events.map((e) => e.kind).sort()).toEqual(type === "release" ? ["became_current", "deployed", "health_failed"] : ["became_current", "health_failed"]);
    // The check made after recovery is the job's evidence (the app page shows it), not "no health check".
    expect((await m.jobQueries.getJob(jobId))!.result).toMatchObject({ healthCheckedAfterRecovery: true, health: { http: { ok: false }, db: { ok: true } } });
    // Looked at once: a second pass starts nothing.
    expect((await applyHealthPolicy(jobId)).undoJobId).toBeUndefined();
  });
});
