import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { useMetaDb } from "@/test/helpers";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";

// The live pages' poll (app/api/apps/[app]/state, app/api/apps/state) and the worker's app probe, against a
// real app: the token moves when a backup appears, `current` moves or the app goes down, and only then.
process.env.LIFEBOAT_APP_PROBE_MS = "300";

vi.mock("@/lib/auth/session", () => ({ getSessionUser: async () => null, requireUser: async () => null }));

const { GET: appState } = await import("@/app/api/apps/[app]/state/route");
const { GET: allState } = await import("@/app/api/apps/state/route");
const { createApiToken } = await import("@/lib/auth/api-auth");
const { closeDb } = await import("@/lib/db/client");

let shop: ShopApp;
let token = "";

const call = async (handler: typeof appState, app?: string, auth = true) => {
  const url = app ? `http://lifeboat.test/api/apps/${app}/state` : "http://lifeboat.test/api/apps/state";
  const res = await handler(new Request(url, { headers: auth ? { authorization: `Bearer ${token}` } : {} }), { params: Promise.resolve(app ? { app } : {}) });
  return { status: res.status, body: (await res.json()) as { status: string; data: import("./state").LiveState; code?: string } };
};
const stateOf = async () => (await call(appState, shop.slug)).body.data;
async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  await useMetaDb();
  const { createUser } = await import("@/lib/db/queries/users");
  const viewer = await createUser({ email: "viewer@example.com", password: "viewer-password-1", role: "viewer" });
  token = (await createApiToken(viewer.id, "pages")).token;
  shop = await setupShopApp({ slug: "shop-live", releases: ["r1", "r2"] });
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  const { stopInProcessWorker } = await import("@/lib/jobs/worker");
  await stopInProcessWorker();
  await closeDb();
});

describe("state endpoints", () => {
  it("answers viewers with a token that stays put while nothing changes; refuses the anonymous and unknown apps", async () => {
    const a = await stateOf();
    expect(a.apps[0]).toMatchObject({ app: "shop-live", currentRelease: "r2", backups: { count: 0 }, job: null });
    expect((await stateOf()).token).toBe(a.token);
    expect((await call(appState, shop.slug, false)).status).toBe(401);
    expect((await call(appState, "nope")).status).toBe(404);
    expect((await call(allState)).body.data.apps.map((s) => s.app)).toEqual(["shop-live"]);
  });

  it("moves when a backup appears or finishes, and when current moves", async () => {
    const { insertBackup, finishBackup } = await import("@/lib/db/queries/backups");
    const t0 = (await stateOf()).token;
    const id = await insertBackup({ appId: shop.appId, name: "x.dump", method: "dump", kind: "manual", format: "custom", createdBy: "cli", release: "r2", jobId: null });
    const s1 = await stateOf();
    expect(s1.token).not.toBe(t0);
    expect(s1.apps[0]!.backups.count).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    await finishBackup(id, { status: "ok", sizeBytes: 10 });
    const s2 = await stateOf();
    expect(s2.token).not.toBe(s1.token);
    const { switchRelease } = await import("@/lib/ops/releases");
    await switchRelease(shop.root, "r1");
    const s3 = await stateOf();
    expect(s3.apps[0]!.currentRelease).toBe("r1");
    expect(s3.token).not.toBe(s2.token);
    await switchRelease(shop.root, "r2");
  });

  it("the audit page's token moves with every new audit row", async () => {
    const before = (await call(allState)).body.data;
    const { recordAudit } = await import("@/lib/db/queries/audit");
    await recordAudit({ actor: "x@example.com", actorId: null, appSlug: null, action: "test.thing", params: {}, result: "ok", message: null, durationMs: 1, authenticated: true });
    const after = (await call(allState)).body.data;
    expect(after.auditMaxId).toBeGreaterThan(before.auditMaxId ?? 0);
    expect(after.token).not.toBe(before.token);
  });
});

describe("app liveness", () => {
  it("the worker probes the health URL on its interval: up, then down with a new since when the app stops", async () => {
    const { ensureInProcessWorker } = await import("@/lib/jobs/worker");
    const { getLiveness } = await import("@/lib/db/queries/app-liveness");
    await ensureInProcessWorker();
    const up = await until("up", async () => {
      const l = await getLiveness(shop.appId);
      return l?.state === "up" ? l : undefined;
    });
    const t0 = (await stateOf()).token;
    await shop.appctl("stop");
    const down = await until("down", async () => {
      const l = await getLiveness(shop.appId);
      return l?.state === "down" ? l : undefined;
    });
    expect(down.since.getTime()).toBeGreaterThan(up.since.getTime());
    expect(down.lastError).toMatch(/\S/);
    const s = await stateOf();
    expect(s.apps[0]!.liveness?.state).toBe("down");
    expect(s.token).not.toBe(t0);
    // Staying down keeps its since.
    await new Promise((r) => setTimeout(r, 800));
    expect((await getLiveness(shop.appId))!.since.getTime()).toBe(down.since.getTime());
    await shop.appctl("start");
    await until("up again", async () => ((await getLiveness(shop.appId))?.state === "up" ? true : undefined));
  });

  it("a job that leaves the app down fails with app_down, saying what the job did; one that leaves it up is ok", async () => {
    const { withAppDownCheck } = await import("@/lib/jobs/app-down-check");
    const lines: string[] = [];
    const ctx = { jobId: 0, log: (l: string) => void lines.push(l), phase: () => {}, progress: () => {}, step: async () => {} } as unknown as import("@/lib/jobs/runner").JobContext;
    const job = { id: 0, appId: shop.appId, appSlug: shop.slug, type: "backup" as const, params: {}, actor: "t" };
    await expect(withAppDownCheck(async () => ({ backupId: 1 }), 500)(ctx, job)).resolves.toEqual({ backupId: 1 });
    const crashing = withAppDownCheck(async () => {
      await shop.appctl("stop");
      return { backupId: 2 };
    }, 500);
    await expect(crashing(ctx, job)).rejects.toMatchObject({ code: "app_down", message: expect.stringMatching(/backup itself completed, but shop-live is down/) });
    expect(lines.join("\n")).toMatch(/DOWN now/);
    await shop.appctl("start");
  });
});
