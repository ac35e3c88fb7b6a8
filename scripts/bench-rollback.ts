// npm run bench:rollback: how long the app's database is unusable during a code + database rollback, Lifeboat's
// way (restore aside while the app runs, then a swap) — directly and through PgBouncer (transaction pooling, PAUSE
// → swap → RESUME) — against the seed's way (stop the app, drop and recreate the database, psql the plain dump into
// it), on the same data, on a throwaway cluster (fsync on) under .lifeboat/bench-rollback.
//
// Probes query the live database by name every 10 ms with three drivers — libpq (psql), node-postgres (`pg`) and
// postgres.js — two processes each, one connection each, ticks staggered (scripts/lib/bench-probe.ts). An answer
// is good when the query succeeds within 200 ms and the data is all there (the banner row exists and the last
// index a restore builds, pgbench_accounts_pkey, exists). Downtime is the longest run of answers that are not
// good: from the start of the first bad query to the end of the next good answer.
//
//   npm run bench:rollback                         ~150 MB and ~1.6 GB (pgbench scale 10 and 107; built once, reused)
//   npm run bench:rollback -- --sizes 150MB        one size
//   npm run bench:rollback -- --runs 3             median of three runs per measurement
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { formatBytes } from "@/lib/format";
import type { OpContext } from "@/lib/ops/context";
import { dumpDatabase } from "@/lib/ops/dump";
import { run } from "@/lib/ops/exec";
import { clientToolFor } from "@/lib/ops/pg-bin";
import { switchRelease } from "@/lib/ops/releases";
import { restoreJobsFor } from "@/lib/ops/restore-jobs";
import { executeRollback, newRollbackState } from "@/lib/ops/rollback";
import { localDataDirectory } from "@/lib/ops/rollback-server";
import { pgEnv, type TargetDb } from "@/lib/ops/target";
import type { Driver } from "./lib/bench-probe";
import { startProbes, type ProbeSummary, type ProbeTarget } from "./lib/bench-probes";
import { createDemoReleases } from "./lib/demo-releases";
import { freePort, startCluster, type Cluster } from "./lib/pg-cluster";
import { startPgBouncer, type PgBouncer } from "./lib/pgbouncer";
import { printTable } from "./lib/print-table";
import { compareStagingRestore, stagingLine } from "./lib/bench-staging";
import { requirePrereqs } from "./lib/prereqs";

const { values: flags } = parseArgs({ options: { sizes: { type: "string", default: "150MB,1.6GB" }, runs: { type: "string", default: "1" }, only: { type: "string" } }, strict: true });
// --only staging: just the staging-restore comparison; --only pgbouncer: just the rollbacks through PgBouncer.
const only = flags.only;
const BYTES_PER_SCALE = 15e6; // pgbench: about 15 MB per scale unit
const sizes = flags.sizes!
  .split(",")
  .map((s) => {
    const m = s.trim().match(/^(\d+(?:\.\d+)?)\s*(MB|GB)$/i);
    if (!m) return NaN;
    return Number(m[1]) * (m[2]!.toUpperCase() === "GB" ? 1e9 : 1e6);
  });
const runs = Number(flags.runs);
if (sizes.some((s) => !(s > 0)) || !Number.isInteger(runs) || runs < 1 || (only !== undefined && only !== "staging" && only !== "pgbouncer")) {
  console.error("usage: npm run bench:rollback -- [--sizes 150MB,1.6GB] [--runs N] [--only staging|pgbouncer]");
  process.exit(2);
}

const baseDir = path.resolve(".lifeboat/bench-rollback");
const outDir = path.join(baseDir, "out");
const say = (s: string) => console.log(`bench │ ${s}`);
const BEFORE = "before the bad release";
const AFTER = "after the bad release";

const DRIVERS: Driver[] = ["psql", "pg", "postgres.js"];
const DRIVER_LABEL: Record<Driver, string> = { psql: "libpq (psql)", pg: "node-postgres", "postgres.js": "postgres.js" };

interface Measure {
  label: string;
  totalMs: number;
  /** What each driver's probes saw. */
  probes: Map<Driver, ProbeSummary>;
  /** Measured here: Lifeboat, new connections refused (disallow → commit); seed, database missing or incomplete (DROP → psql done). */
  windowMs: number;
}

async function main() {
  await requirePrereqs({ pgbouncer: true });
  await fs.mkdir(outDir, { recursive: true });
  const cluster = await startCluster({ baseDir: path.join(baseDir, "pg"), log: say });
  const results: Awaited<ReturnType<typeof benchSize>>[] = [];
  const { info } = cluster;
  const bouncer = await startPgBouncer({ dir: path.join(baseDir, "pgbouncer"), server: { host: info.host, port: info.port, user: info.user, password: info.password } });
  say(`PgBouncer (transaction pooling) on ${bouncer.info.host}:${bouncer.info.port}`);
  try {
    for (const bytes of sizes) results.push(await benchSize(cluster, bouncer, Math.max(1, Math.round(bytes / BYTES_PER_SCALE))));
  } finally {
    await bouncer.stop().catch(() => {});
    say("stopping the bench cluster (its data stays for the next run)");
    await cluster.stop().catch((e: Error) => say(`could not stop it: ${e.message}`));
  }
  report(results, cluster.info.major);
}

async function benchSize(cluster: Cluster, bouncer: PgBouncer, scale: number) {
  const db = `shop_bench_s${scale}`;
  const t: TargetDb = { host: cluster.info.host, port: cluster.info.port, user: cluster.info.user, password: cluster.info.password, database: db };
  const admin = postgres(cluster.url(), { onnotice: () => {}, max: 1 });
  const root = path.join(baseDir, `app-s${scale}`);
  const appctl = path.join(root, "bin", "appctl.mjs");
  try {
    await ensureDatabase(cluster, admin, t, scale);
    const [{ size }] = (await admin`SELECT pg_database_size(${db})::text AS size`) as unknown as [{ size: string }];
    const dbBytes = Number(size);
    say(`database ${db}: ${formatBytes(dbBytes)} (pgbench scale ${scale})`);

    // The demo app on two releases, v2 current (the bad one).
    await fs.rm(root, { recursive: true, force: true });
    await createDemoReleases(root, ["v1", "v2"]);
    const port = await freePort();
    await fs.writeFile(
      path.join(root, "bin", "app.env.json"),
      JSON.stringify({ PORT: String(port), PGHOST: t.host, PGPORT: String(t.port), PGUSER: t.user, PGPASSWORD: t.password, PGDATABASE: db }),
      { mode: 0o600 },
    );
    const app = {
      slug: "bench",
      stopCommand: ["node", appctl, "stop"],
      startCommand: ["node", appctl, "start"],
      commandCwd: null,
      commandEnv: null,
      commandTimeoutSec: 60,
      deployRoot: root,
      healthUrl: `http://127.0.0.1:${port}/health`,
      healthTimeoutSec: 30,
    };
    await run("node", [appctl, "start"]);

    const pgDump = await clientToolFor("pg_dump", cluster.info.major);
    const pgRestore = await clientToolFor("pg_restore", cluster.info.major);
    const psql = await clientToolFor("psql", cluster.info.major);
    await setBanner(cluster, db, BEFORE);
    say("backups of the state before the bad release: a Lifeboat dump (custom) and the seed's plain dump");
    await fs.rm(path.join(outDir, "lifeboat.dump"), { force: true });
    const dumped = await dumpDatabase({ target: t, pgDump, pgRestore, dir: outDir, fileName: "lifeboat.dump", format: "custom", ctx: quietCtx(), estimatedBytes: dbBytes });
    const seedFile = path.join(outDir, "seed.sql");
    await run(pgDump, ["--no-password", "-Fp", "-f", seedFile], { env: pgEnv(t) });

    const direct: ProbeTarget = { host: t.host, port: t.port, user: t.user, password: t.password!, database: db, pooled: false };
    const viaBouncer: ProbeTarget = { ...direct, host: bouncer.info.host, port: bouncer.info.port, pooled: true };
    const bouncerConsole = { host: bouncer.info.host, port: bouncer.info.port, user: bouncer.info.adminUser, password: bouncer.info.adminPassword, database: db };
    // Lifeboat's own choice (lib/ops/restore-jobs.ts), given to the bare pg_restore too.
    const jobs = await restoreJobsFor(path.join(outDir, "lifeboat.dump"), pgRestore);
    const lifeboat: Measure[] = [];
    const pooled: Measure[] = [];
    const seed: Measure[] = [];
    for (let i = 1; i <= runs && only !== "staging"; i++) {
      for (const [label, probeTarget, into] of [["Lifeboat", direct, lifeboat], ["Lifeboat via PgBouncer", viaBouncer, pooled]] as const) {
        if (only === "pgbouncer" && into !== pooled) continue;
        await switchRelease(root, "v2");
        await setBanner(cluster, db, AFTER);
        await admin`CHECKPOINT`;
        say(`run ${i}/${runs}: ${label} rollback (code + database from the dump)`);
        const probes = startProbes(probeTarget, DRIVERS, { psql, perDriver: PER_DRIVER, tickMs: PROBE_MS });
        await probes.ready;
        const state = newRollbackState();
        const phases = new Map<string, number>();
        const timeline: [number, string][] = [];
        let phaseAt = performance.now();
        let phaseName = "start";
        const ctx: OpContext = {
          ...quietCtx(),
          log: (line) => /^(swapped|PgBouncer resumed)/.test(line) && say(`  ${line}`),
          phase: (name) => {
            const now = performance.now();
            phases.set(phaseName, (phases.get(phaseName) ?? 0) + now - phaseAt);
            timeline.push([Date.now(), name]);
            phaseName = name;
            phaseAt = now;
          },
        };
        const stamp = Date.now();
        const t0 = performance.now();
        await executeRollback({
          target: label === "Lifeboat" ? t : { ...t, pgbouncer: bouncerConsole },
          app,
          database: {
            source: "dump", file: path.join(outDir, "lifeboat.dump"), sha256: dumped.sha256, format: "custom", pgRestore, psql, jobs,
            staging: `${db}_staging_${stamp}`, preRollbackName: `${db}_pre_rollback_${stamp}`,
          },
          release: { name: "v1" },
          ctx,
          state,
          dataDir: await localDataDirectory(t),
        });
        const total = performance.now() - t0;
        const p = await probes.stop();
        await expectBanner(cluster, db, BEFORE);
        into.push({ label, totalMs: total, probes: p, windowMs: state.swap?.lockedOutMs ?? NaN});
        for (const [driver, d] of p) {
          const phaseAt = (at: number | null) => (at === null ? "" : ` (began while ${[...timeline].reverse().find(([t]) => t <= at)?.[1] ?? "starting, before the rollback"})`);
          say(`  ${DRIVER_LABEL[driver]}: downtime ${downtime(d.downtimeMs)}${phaseAt(d.worstAt)}, ${d.failed} failed, slowest ${ms(d.slowestMs)}${phaseAt(d.slowestAt)}; ${d.errors.join(" | ") || "no errors"}`);
        }
        say(`  total ${secs(total)}; phases: ${[...phases].slice(1).map(([n, v]) => `${n} ${secs(v)}`).join(" · ")}`);
        await admin.unsafe(`DROP DATABASE ${db}_pre_rollback_${stamp}`);
      }

      // The seed's way, on the same data: back to the bad state first.
      if (only) continue;
      await switchRelease(root, "v2");
      await run("node", [appctl, "stop"]);
      await run("node", [appctl, "start"]);
      await setBanner(cluster, db, AFTER);
      await admin`CHECKPOINT`;
      say(`run ${i}/${runs}: the seed's way (stop app, drop + create database, psql the plain dump, switch, start)`);
      const probes2 = startProbes(direct, DRIVERS, { psql, perDriver: PER_DRIVER, tickMs: PROBE_MS });
      await probes2.ready;
      const s0 = performance.now();
      await run("node", [appctl, "stop"]);
      const w0 = performance.now();
      await admin.unsafe(`DROP DATABASE ${db} WITH (FORCE)`);
      await admin.unsafe(`CREATE DATABASE ${db}`);
      await run(psql, ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "-f", seedFile], { env: pgEnv(t), maxStdout: 1024 });
      const seedWindow = performance.now() - w0;
      await switchRelease(root, "v1");
      await run("node", [appctl, "start"]);
      const seedTotal = performance.now() - s0;
      const p2 = await probes2.stop();
      await expectBanner(cluster, db, BEFORE);
      seed.push({ label: "seed", totalMs: seedTotal, probes: p2, windowMs: seedWindow });
      say(`  total ${secs(seedTotal)}, database downtime ${ms(worstDowntime(p2))}`);
    }
    // The staging restore beside a bare pg_restore -j N of the same dump, in turns, nothing else running.
    await run("node", [appctl, "stop"]).catch(() => {});
    say(`staging restore vs a bare pg_restore -j ${jobs} of the same dump (in turns, no probes, no app)`);
    const staging = only === "pgbouncer" ? null : await compareStagingRestore({ admin, target: t, file: path.join(outDir, "lifeboat.dump"), sha256: dumped.sha256, format: "custom", pgRestore, psql, jobs, runs: Math.max(runs, 3), say });
    await run("node", [appctl, "stop"]).catch(() => {});
    return { bytes: scale * BYTES_PER_SCALE, scale, dbBytes, staging, lifeboat: medianMeasure(lifeboat), pooled: medianMeasure(pooled), seed: medianMeasure(seed) };
  } finally {
    await run("node", [appctl, "stop"]).catch(() => {});
    await admin.end({ timeout: 5 });
  }
}

/** pgbench data plus the demo app's settings table; built once per scale, a marker table says it finished. */
async function ensureDatabase(cluster: Cluster, admin: postgres.Sql, t: TargetDb, scale: number) {
  const db = t.database;
  // Leftovers of an interrupted earlier run.
  for (const r of await admin<{ name: string }[]>`SELECT datname AS name FROM pg_database WHERE datname LIKE ${db + "\\_%"}`) {
    await admin.unsafe(`DROP DATABASE "${r.name}" WITH (FORCE)`);
  }
  if ((await admin`SELECT 1 FROM pg_database WHERE datname = ${db}`).length > 0) {
    const sql = postgres(cluster.url(db), { onnotice: () => {}, max: 1 });
    try {
      const done = await sql`SELECT scale FROM lifeboat_bench_meta`.catch(() => []);
      if (done[0]?.scale === scale) {
        say(`reusing ${db}`);
        return;
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
    await admin.unsafe(`DROP DATABASE ${db} WITH (FORCE)`);
  }
  await admin.unsafe(`CREATE DATABASE ${db}`);
  say(`building ${db} with pgbench -i -s ${scale} (once; reused by later runs)`);
  const started = performance.now();
  await run(path.join(cluster.info.binDir, "pgbench"), ["-i", "-s", String(scale), "--quiet"], { env: pgEnv(t) });
  const sql = postgres(cluster.url(db), { onnotice: () => {}, max: 1 });
  try {
    await sql`CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL)`;
    await sql`INSERT INTO settings VALUES ('banner', ${BEFORE})`;
    await sql`CREATE TABLE lifeboat_bench_meta (scale int NOT NULL)`;
    await sql`INSERT INTO lifeboat_bench_meta VALUES (${scale})`;
    await sql`VACUUM ANALYZE`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  say(`built in ${secs(performance.now() - started)}`);
}

async function setBanner(cluster: Cluster, db: string, value: string) {
  const sql = postgres(cluster.url(db), { onnotice: () => {}, max: 1 });
  await sql`UPDATE settings SET value = ${value} WHERE key = 'banner'`;
  await sql.end({ timeout: 5 });
}

async function expectBanner(cluster: Cluster, db: string, value: string) {
  const sql = postgres(cluster.url(db), { onnotice: () => {}, max: 1 });
  const [row] = await sql`SELECT value FROM settings WHERE key = 'banner'`;
  await sql.end({ timeout: 5 });
  if (row?.value !== value) throw new Error(`after the rollback the banner is ${JSON.stringify(row?.value)}, not ${JSON.stringify(value)}`);
}

function report(results: Awaited<ReturnType<typeof benchSize>>[], major: number) {
  const rows: string[][] = [];
  for (const r of results) {
    const size = formatBytes(r.dbBytes);
    for (const m of [r.lifeboat, r.pooled, r.seed]) {
      if (!m) continue;
      for (const [driver, d] of m.probes) {
        rows.push([size, m.label, DRIVER_LABEL[driver], secs(m.totalMs), downtime(d.downtimeMs), String(d.failed), ms(d.slowestMs), ms(m.windowMs), d.errors.slice(0, 3).join(" | ")]);
      }
    }
  }
  console.log("");
  console.log(`Lifeboat rollback benchmark — what each driver sees during a code + database rollback, PostgreSQL ${major}, fsync on, median of ${runs} run(s)`);
  printTable(["database", "method", "driver", "total", "downtime (probe)", "failed", "slowest answer", "refused/incomplete", "errors"], rows, new Set([0, 3, 4, 5, 6, 7]));
  console.log("");
  for (const r of results) if (r.staging) console.log(stagingLine(formatBytes(r.dbBytes), r.staging));
  const big = results[results.length - 1];
  if (big?.pooled) {
    const failed = [...big.pooled.probes.values()].reduce((n, d) => n + d.failed, 0);
    const slowest = Math.max(...[...big.pooled.probes.values()].map((d) => d.slowestMs));
    console.log(
      `Goal through PgBouncer at ${formatBytes(big.dbBytes)}: 0 failed probe queries and the slowest answer ≤ 0.5 s: ${failed} failed, slowest ${ms(slowest)} — ${failed === 0 && slowest <= 500 ? "met" : "NOT met"}`,
    );
  }
  if (big?.lifeboat) {
    console.log(`Without PgBouncer at ${formatBytes(big.dbBytes)}: ${[...big.lifeboat.probes].map(([d, p]) => `${DRIVER_LABEL[d]} ${downtime(p.downtimeMs)} (${p.failed} failed)`).join(", ")}`);
  }
  console.log("");
  console.log(`Downtime: the longest run of bad probe answers (${PER_DRIVER} probes per driver, each every ${PROBE_MS} ms on its own connection to`);
  console.log("the live database by name, ticks staggered; the worst of them) — failed, over 200 ms, or data incomplete — up to");
  console.log("the end of the next good answer (a dropped connection's reconnect and authentication count). \"failed\": queries that got");
  console.log("an error; \"slowest answer\": the longest any query took. psql exits when its connection is lost and a new one starts.");
  console.log("\"refused/incomplete\": for Lifeboat, from refusing new connections to the live database until the swap committed; for");
  console.log("the seed, from DROP DATABASE until psql finished. One shared, noisy machine: compare the ratios, not the milliseconds.");
}

const worstDowntime = (p: Map<Driver, ProbeSummary>) => Math.max(...[...p.values()].map((d) => d.downtimeMs));

function medianMeasure(xs: Measure[]): Measure | undefined {
  const s = [...xs].sort((a, b) => worstDowntime(a.probes) - worstDowntime(b.probes));
  return s[Math.floor((s.length - 1) / 2)];
}

function quietCtx(): OpContext {
  return { log: () => {}, phase: () => {}, progress: () => {}, step: async () => {} };
}

const PROBE_MS = 10;
const PER_DRIVER = 2;
const secs = (x: number) => `${(x / 1000).toFixed(2)} s`;
const downtime = (x: number) => (x < PROBE_MS ? `< ${PROBE_MS} ms` : ms(x));
const ms = (x: number) => (x < 1000 ? `${Math.round(x)} ms` : secs(x));

main().catch((e) => {
  console.error(`bench │ failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
