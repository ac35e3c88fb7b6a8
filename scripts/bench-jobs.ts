// npm run bench:jobs: what the job engine costs and how fast it notices a dead worker, on a throwaway cluster
// under .lifeboat/bench-jobs. Ratios within one run; absolute times on a shared machine are noise.
//
//   npm run bench:jobs                 dumps of a ~60 MB database, 3 runs each; default lease timings
//   npm run bench:jobs -- --runs 5 --orders 300000
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { silentContext } from "@/lib/ops/context";
import { dumpDatabase } from "@/lib/ops/dump";
import { clientToolFor } from "@/lib/ops/pg-bin";
import { startCluster } from "./lib/pg-cluster";
import { printTable } from "./lib/print-table";
import { seedShop } from "./lib/seed-shop";

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback) || fallback;
const runs = opt("runs", 3);
/** Orders in the seeded shop (customers are a third of that): the dump's size. */
const orders = opt("orders", 60_000);
const baseDir = path.resolve(".lifeboat/bench-jobs");
const say = (s: string) => console.log(`bench │ ${s}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  await fs.mkdir(baseDir, { recursive: true });
  await fs.chmod(baseDir, 0o755);
  const cluster = await startCluster({ baseDir: path.join(baseDir, "pg"), log: say });
  const admin = postgres(cluster.url(), { onnotice: () => {} });
  const meta = `meta_${crypto.randomBytes(3).toString("hex")}`;
  const db = `shop_${crypto.randomBytes(3).toString("hex")}`;
  await admin.unsafe(`CREATE DATABASE ${meta}`);
  await admin.unsafe(`CREATE DATABASE ${db}`);
  process.env.DATABASE_URL = cluster.url(meta);
  process.env.LIFEBOAT_SECRET_KEY ??= crypto.randomBytes(32).toString("base64");
  process.env.AUTH_SECRET ??= crypto.randomBytes(32).toString("base64");
  const workers: ReturnType<typeof spawn>[] = [];
  try {
    const { migrateMetadata } = await import("@/lib/db/migrate");
    await migrateMetadata();
    const shop = postgres(cluster.url(db), { onnotice: () => {} });
    say("seeding the shop database");
    await seedShop(shop, { customers: Math.round(orders / 3), orders });
    await shop.end();
    const backupsDir = path.join(baseDir, "out");
    await fs.rm(backupsDir, { recursive: true, force: true });
    await fs.mkdir(backupsDir, { recursive: true });
    await fs.chmod(backupsDir, 0o777);
    const apps = await import("@/lib/db/queries/apps");
    const validation = await import("@/lib/validation/apps");
    const input = validation.appFormSchema.parse({ slug: "bench", url: cluster.url(db), backupsDir, retention: "100" });
    const appId = await apps.createApp(input, { serverVersion: "15", serverVersionNum: cluster.info.major * 10000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 });
    const app = (await apps.getAppById(appId))!;
    const jobs = await import("@/lib/jobs");
    const { startWorker } = await import("@/lib/jobs/worker");
    const target = { host: cluster.info.host, port: cluster.info.port, user: cluster.info.user, password: cluster.info.password, database: db };
    const pgDump = await clientToolFor("pg_dump", cluster.info.major);
    const pgRestore = await clientToolFor("pg_restore", cluster.info.major);

    // 1. The same dump with and without the engine (queue, claim, lease renewals, fenced journal, log rows).
    const bare: number[] = [];
    const engine: number[] = [];
    const worker = await startWorker({ name: "bench", log: () => {} });
    for (let i = 0; i < runs; i++) {
      let t = Date.now();
      await dumpDatabase({ target, pgDump, pgRestore, dir: backupsDir, fileName: `bare_${i}.dump`, format: "custom", ctx: silentContext, estimatedBytes: 0 });
      bare.push(Date.now() - t);
      t = Date.now();
      const outcome = await (await jobs.startBackup({ app, method: "dump", actor: "bench" })).done;
      if (outcome.status !== "ok") throw new Error(`engine dump failed: ${outcome.error?.message}`);
      engine.push(Date.now() - t);
    }
    await worker.stop();
    printTable(
      ["dump (custom, verified, checksummed)", "median ms"],
      [["dumpDatabase() alone", String(median(bare))], ["through the engine (queue → worker → done)", String(median(engine))], ["difference (fixed: queue, claim, probe, rows)", String(median(engine) - median(bare))], ["ratio", (median(engine) / median(bare)).toFixed(2)]],
      new Set([1]),
    );

    // 2. kill -9 of the worker running a job → the job reconciled by the other worker's watchdog (default timings).
    const spawnWorker = (name: string) => {
      const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/worker.ts"], {
        env: { ...process.env, LIFEBOAT_WORKER_NAME: name },
        stdio: "ignore",
      });
      workers.push(child);
      return child;
    };
    const victim = spawnWorker("victim");
    await new Promise((r) => setTimeout(r, 8000));
    const hold = postgres(cluster.url(db), { max: 1, onnotice: () => {} });
    const tx = await hold.reserve();
    await tx`BEGIN`;
    await tx.unsafe("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"); // the dump waits here: a job mid-dump
    const { jobId } = await jobs.startBackup({ app, method: "dump", actor: "bench" });
    const q = await import("@/lib/db/queries/jobs");
    while ((await q.getJob(jobId))?.status !== "running") await new Promise((r) => setTimeout(r, 100));
    spawnWorker("rescuer");
    await new Promise((r) => setTimeout(r, 8000));
    const killedAt = Date.now();
    victim.kill("SIGKILL");
    let lostAt = 0;
    for (;;) {
      const j = (await q.getJob(jobId))!;
      if (!lostAt && j.leaseExpiresAt && j.leaseExpiresAt.getTime() < Date.now()) lostAt = Date.now();
      if (j.status === "interrupted") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const done = Date.now();
    await tx`ROLLBACK`;
    tx.release();
    await hold.end();
    printTable(
      ["worker killed (SIGKILL) mid-dump", "s after the kill"],
      [["job shown as lost contact", ((lostAt - killedAt) / 1000).toFixed(1)], ["job reconciled (interrupted)", ((done - killedAt) / 1000).toFixed(1)]],
      new Set([1]),
    );
  } finally {
    for (const w of workers) w.kill("SIGTERM");
    const { closeDb } = await import("@/lib/db/client");
    await closeDb();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
    await admin.unsafe(`DROP DATABASE IF EXISTS ${meta} WITH (FORCE)`).catch(() => {});
    await admin.end();
    await cluster.stop().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.stack : String(e));
    process.exit(1);
  },
);
