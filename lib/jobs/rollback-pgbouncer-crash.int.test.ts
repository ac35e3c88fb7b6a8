import { eq } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPgBouncer, type PgBouncer } from "@/scripts/lib/pgbouncer";
import { isPaused } from "@/lib/ops/pgbouncer";
import { crashWorker, leaseDied, recoverJob, useCrashLeases } from "@/test/fixtures/crash-worker";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";
import { pg, tmpDir, useMetaDb } from "@/test/helpers";

// A restore whose worker is SIGKILLed while the app's PgBouncer is paused: recovery must resume it, and a
// client query that was waiting in PgBouncer gets its answer instead of waiting forever.
useCrashLeases();
let shop: ShopApp;
let bouncer: PgBouncer;
let dumpId: number;
let mods: { jobs: typeof import("@/lib/jobs"); apps: typeof import("@/lib/db/queries/apps"); client: typeof import("@/lib/db/client") };

const consoleOf = () => ({ host: bouncer.info.host, port: bouncer.info.port, user: bouncer.info.adminUser, password: bouncer.info.adminPassword, database: shop.db });

beforeAll(async () => {
  await useMetaDb();
  mods = { jobs: await import("@/lib/jobs"), apps: await import("@/lib/db/queries/apps"), client: await import("@/lib/db/client") };
  shop = await setupShopApp({ slug: "shop-pgb-crash", releases: ["r1"] });
  const p = pg();
  bouncer = await startPgBouncer({ dir: await tmpDir("pgbouncer"), server: { host: p.host, port: p.port, user: p.user, password: p.password } });
  const { apps } = await import("@/lib/db/schema");
  const { encryptSecret } = await import("@/lib/secrets");
  await mods.client
    .getDb()
    .update(apps)
    .set({ pgbouncerHost: bouncer.info.host, pgbouncerPort: bouncer.info.port, pgbouncerUser: bouncer.info.adminUser, pgbouncerPasswordEnc: encryptSecret(bouncer.info.adminPassword) })
    .where(eq(apps.id, shop.appId));
  expect((await mods.apps.getAppTarget(shop.appId)).pgbouncer).toMatchObject({ port: bouncer.info.port, database: shop.db, password: bouncer.info.adminPassword });
  const app = (await mods.apps.getAppById(shop.appId))!;
  const d = await (await mods.jobs.startBackup({ app, method: "dump", actor: "t" })).done;
  expect(d.status).toBe("ok");
  dumpId = (d.result as { backupId: number }).backupId;
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  await bouncer?.stop();
  await mods?.client.closeDb();
});

describe("crash while PgBouncer is paused", () => {
  for (const step of ["swap:disallow", "swap:rename"]) {
    it(`a restore killed at ${step} leaves PgBouncer paused; recovery resumes it and the waiting client is answered`, async () => {
      const p = pg();
      const client = postgres(bouncer.url(shop.db, p.user, p.password), { max: 1, prepare: false, onnotice: () => {}, connect_timeout: 30 });
      await client`SELECT 1`;
      const r = await crashWorker(shop.appId, { kind: "restore", backupId: dumpId }, step);
      expect(r.signal, r.out).toBe("SIGKILL");
      const jobId = (JSON.parse(r.out.split("\n").find((l) => l.startsWith('{"jobId"')) ?? "null") as { jobId: number }).jobId;
      // The worker died with the database paused: a query sent now waits in PgBouncer.
      expect(await isPaused(consoleOf())).toBe(true);
      let answer: string | undefined;
      const waiting = client`SELECT value FROM settings WHERE key = 'banner'`.then((rows) => (answer = rows[0]!.value));
      await new Promise((res) => setTimeout(res, 500));
      expect(answer).toBeUndefined();
      await leaseDied(jobId);
      const report = await recoverJob(jobId);
      expect(report.error, report.decisions.join("; ")).toBeUndefined();
      expect(report.decisions.join("\n")).toMatch(/resumed \w+ on PgBouncer/);
      await waiting;
      expect(answer).toBeTypeOf("string");
      expect(await isPaused(consoleOf())).toBe(false);
      await client.end();
    });
  }
});
