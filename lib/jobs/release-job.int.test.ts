// The guarded release end to end: the real API route (token auth), the in-process worker, real releases served
// by the demo app (r4's /health answers 500), real pg_dump, and the real CLI as a child process.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { queryRows, useMetaDb } from "@/test/helpers";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";
import type { SessionUser } from "@/lib/auth/session";
import { runUnchecked } from "@/lib/ops/exec";

vi.mock("@/lib/auth/session", () => ({ getSessionUser: async (): Promise<SessionUser | null> => null, requireUser: async () => null }));

const route = await import("@/app/api/apps/[app]/releases/[name]/activate/route");
const { createApiToken } = await import("@/lib/auth/api-auth");
const { createUser } = await import("@/lib/db/queries/users");
const { closeDb } = await import("@/lib/db/client");
const apps = await import("@/lib/db/queries/apps");
const jobQueries = await import("@/lib/db/queries/jobs");
const events = await import("@/lib/db/queries/release-events");
const { startRelease } = await import("./release-job");
const { readCurrentRelease } = await import("@/lib/ops/releases");

const SLUG = "shop-rel";
let shop: ShopApp;
let metaUrl = "";
let token = "";
const root = process.cwd();

type Api = { status: number; body: { status: string; code?: string; data?: Record<string, unknown> & { jobId: number; outcome: string } } };

async function call(method: "POST" | "GET", name: string, query = "", body?: unknown): Promise<Api> {
  const fn = method === "POST" ? route.POST : route.GET;
  const res = await fn(
    new Request(`http://lifeboat.test/api/apps/${SLUG}/releases/x/activate${query}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }),
    { params: Promise.resolve({ app: SLUG, name }) },
  );
  return { status: res.status, body: await res.json() };
}

const meta = <T>(query: string) => queryRows<T>(metaUrl, query);

const counts = async () => (await meta<{ jobs: number; backups: number }>(`SELECT (SELECT count(*)::int FROM jobs) AS jobs, (SELECT count(*)::int FROM backups) AS backups`))[0]!;

async function cli(args: string[], env: Record<string, string> = {}) {
  const tsx = path.join(root, "node_modules", ".bin", "tsx");
  const r = await runUnchecked(tsx, ["--conditions=react-server", path.join(root, "scripts", "cli.ts"), ...args], {
    cwd: root,
    env: { DATABASE_URL: metaUrl, LIFEBOAT_SECRET_KEY: process.env.LIFEBOAT_SECRET_KEY!, AUTH_SECRET: process.env.AUTH_SECRET!, ...env },
    timeoutMs: 120_000,
  });
  return { code: r.code, out: r.stdout, err: r.stderrTail };
}

beforeAll(async () => {
  metaUrl = await useMetaDb();
  const user = await createUser({ email: "pipeline@example.com", password: "pipeline-password-1", role: "operator" });
  token = (await createApiToken(user.id, "deploy")).token;
  // `current` → r1 (the last one created); r2 and r3 are healthy, r4's /health answers 500.
  shop = await setupShopApp({ slug: SLUG, releases: ["r2", "r3", "r4", "r1"], unhealthy: ["r4"], healthTimeoutSec: 2 });
  expect(await shop.api()).toMatchObject({ release: "r1" });
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  await closeDb();
});

describe("guarded release", () => {
  it("refuses hostile and malformed release names before any job, backup or process", async () => {
    const before = await counts();
    for (const name of ["../x", "--help", "", " ", "-rf", "r1/../../etc", "current", ".hidden", "r1;rm -rf /", "a".repeat(201)]) {
      const r = await call("POST", name, "?wait=5");
      expect(r.status, JSON.stringify(name)).toBe(400);
      expect(r.body.status).toBe("invalid");
    }
    // The job layer refuses them too (the CLI and any other caller go through it).
    const app = (await apps.getAppById(shop.appId))!;
    for (const name of ["../x", "--help", ""]) {
      await expect(startRelease({ app, release: name, actor: "test" })).rejects.toMatchObject({ code: "invalid_release" });
    }
    // A well-formed name that is not a release, and an incomplete release, are refused before any job too.
    expect((await call("POST", "r9")).body).toMatchObject({ status: "error", code: "release_missing" });
    await fs.mkdir(path.join(shop.root, "releases", "r5-half"));
    expect((await call("POST", "r5-half")).body).toMatchObject({ status: "error", code: "release_incomplete" });
    expect(await counts()).toEqual(before);
    expect(await readCurrentRelease(shop.root)).toBe("r1");
  });

  it("backs up, switches, checks health and records who did it", async () => {
    const r = await call("POST", "r2", "?wait=120");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const d = r.body.data!;
    expect(d).toMatchObject({ outcome: "released", final: true, status: "ok", reused: false, current: "r2", release: "r2" });
    expect(d.backup).toMatchObject({ method: "dump", status: "ok" });
    expect(await shop.api()).toMatchObject({ release: "r2" });
    const [backup] = await meta<{ kind: string; for_release: string; verified_at: Date | null; job_id: number }>(
      `SELECT kind, for_release, verified_at, job_id FROM backups WHERE id = ${(d.backup as { id: number }).id}`,
    );
    expect(backup).toMatchObject({ kind: "automatic", for_release: "r2", job_id: d.jobId });
    expect(backup!.verified_at).not.toBeNull();
    const mine = (await events.listReleaseEvents(shop.appId)).filter((e) => e.jobId === d.jobId).reverse();
    expect(mine.map((e) => `${e.release}:${e.kind}:${e.actor}`)).toEqual(["r2:deployed:pipeline@example.com", "r2:became_current:pipeline@example.com"]);
    const appEvents = await meta<{ kind: string }>(`SELECT kind FROM app_events WHERE job_id = ${d.jobId} ORDER BY id`);
    expect(appEvents.map((e) => e.kind)).toEqual(["release.started", "release.finished"]);
  });

  it("is idempotent per release name: a repeated call returns the same job, also while it runs", async () => {
    const again = await call("POST", "r2");
    expect(again.body.data).toMatchObject({ reused: true, outcome: "released" });
    const first = (await events.listReleaseEvents(shop.appId)).find((e) => e.kind === "deployed" && e.release === "r2")!;
    expect(again.body.data!.jobId).toBe(first.jobId);

    // Two pipelines (or a retry) at once: one job.
    const jobsBefore = (await counts()).jobs;
    const [a, b] = await Promise.all([call("POST", "r3"), call("POST", "r3")]);
    expect(a.body.status, JSON.stringify(a.body)).toBe("ok");
    expect(b.body.status, JSON.stringify(b.body)).toBe("ok");
    expect(a.body.data!.jobId).toBe(b.body.data!.jobId);
    expect([a.body.data!.reused, b.body.data!.reused].sort()).toEqual([false, true]);
    const waited = await call("GET", "r3", "?wait=120");
    expect(waited.body.data).toMatchObject({ jobId: a.body.data!.jobId, outcome: "released", final: true });
    expect((await counts()).jobs).toBe(jobsBefore + 1);
    expect(await readCurrentRelease(shop.root)).toBe("r3");

    // "Already released" while another change is under way would be out of date any moment: refused busy, naming it.
    const { insertJob, updateJob } = await import("@/lib/db/queries/jobs");
    const other = await insertJob({ appId: shop.appId, type: "switch_release", params: { release: "r2" }, actor: "colleague", owner: "test" });
    try {
      const busy = await call("POST", "r3");
      expect(busy.status).toBe(409);
      expect(busy.body).toMatchObject({ code: "busy", message: expect.stringContaining(`job #${other} (switch release, running) may replace r3, which job #${a.body.data!.jobId} released`) });
    } finally {
      await updateJob(other, { status: "failed", phase: "failed", error: "test", finishedAt: new Date() });
    }
    expect((await call("POST", "r3")).body.data).toMatchObject({ reused: true, outcome: "released" });
  });

  it("with a failing health check it ends undone, and the CLI exits non-zero", async () => {
    const r = await cli(["release", SLUG, "--release", "r4", "--wait", "--json"]);
    expect(r.code, r.err).toBe(1);
    const out = JSON.parse(r.out.trim().split("\n").at(-1)!);
    expect(out).toMatchObject({ release: "r4", outcome: "undone", final: true, error: { code: "health_failed" }, current: "r3" });
    expect(out.undo).toMatchObject({ status: "ok" });
    expect(await readCurrentRelease(shop.root)).toBe("r3");
    expect(await shop.api()).toMatchObject({ release: "r3" });
    const kinds = (await events.listReleaseEvents(shop.appId))
      .filter((e) => e.jobId === out.jobId || e.jobId === out.undo.jobId)
      .reverse()
      .map((e) => `${e.release}:${e.kind}`);
    expect(kinds).toEqual(["r4:deployed", "r4:became_current", "r4:health_failed", "r3:became_current"]);
    const appEvents = await meta<{ kind: string }>(`SELECT kind FROM app_events WHERE job_id = ${out.jobId} ORDER BY id`);
    // The failed health check is announced as such; the switch inside the release announces no rollback.*.
    expect(appEvents.map((e) => e.kind)).toEqual(["release.started", "health.failed", "release.failed"]);
    // Failed: a new call starts a new job (it would fail again; the status of the old one stays readable).
    const status = await call("GET", "r4", `?job=${out.jobId}`);
    expect(status.body.data).toMatchObject({ outcome: "undone" });
    const undoJob = await jobQueries.getJob(out.undo.jobId);
    expect(undoJob).toMatchObject({ type: "undo", actor: "lifeboat (health policy)" });
  });

  it("the CLI refuses a flag without a value and a hostile release with exit 2, before connecting", async () => {
    // Every form is in scripts/lib/cli-release.test.ts; here the real process, for its exit code.
    for (const args of [
      ["release", SLUG, "--release"],
      ["release", SLUG, "--release", "../x"],
    ]) {
      // Port 1 refuses connections: any attempt to read the metadata would exit 1, not 2.
      const r = await cli(args, { DATABASE_URL: "postgres://nobody@127.0.0.1:1/nowhere" });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).toMatch(/usage: npm run lifeboat -- release <app>/);
    }
  });
});
