// npm run bench:rollback: how long the app's database is unusable during a code + database rollback, Lifeboat's
// way (restore aside while the app runs, then a swap) against the seed's way (stop the app, drop and recreate the
// database, psql the plain dump into it), on the same data, on a throwaway cluster (fsync on) under
// .lifeboat/bench-rollback.
//
// Probes query the live database by name every 10 ms (four processes, one connection each, their ticks staggered
// by 2.5 ms, like an app's small pool). An
// answer is good when the query succeeds within 200 ms and the data is all there (the banner row exists and the
// last index a restore builds, pgbench_accounts_pkey, exists). Downtime is the longest run of answers that are
// not good: from the start of the first bad query to the end of the next good answer.
//
//   npm run bench:rollback                         ~150 MB and ~1.5 GB (pgbench scale 10 and 100; built once, reused)
//   npm run bench:rollback -- --sizes 150MB        one size
//   npm run bench:rollback -- --runs 3             median of three runs per measurement
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import { formatBytes } from "@/lib/format";
import type { OpContext } from "@/lib/ops/context";
import { dumpDatabase } from "@/lib/ops/dump";
import { run } from "@/lib/ops/exec";
import { clientToolFor } from "@/lib/ops/pg-bin";
import { switchRelease } from "@/lib/ops/releases";
import { executeRollback, newRollbackState } from "@/lib/ops/rollback";
import { localDataDirectory } from "@/lib/ops/rollback-server";
import { pgEnv, type TargetDb } from "@/lib/ops/target";
import { createDemoReleases } from "./lib/demo-releases";
import { freePort, startCluster, type Cluster } from "./lib/pg-cluster";
import { printTable } from "./lib/print-table";
import { requirePrereqs } from "./lib/prereqs";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const BYTES_PER_SCALE = 15e6; // pgbench: about 15 MB per scale unit
const sizes = option("sizes", "150MB,1.5GB")
  .split(",")
  .map((s) => {
    const m = s.trim().match(/^(\d+(?:\.\d+)?)\s*(MB|GB)$/i);
    if (!m) return NaN;
    return Number(m[1]) * (m[2]!.toUpperCase() === "GB" ? 1e9 : 1e6);
  });
const runs = Number(option("runs", "1"));
if (sizes.some((s) => !(s > 0)) || !Number.isInteger(runs) || runs < 1) {
  console.error("usage: npm run bench:rollback -- [--sizes 150MB,1.5GB] [--runs N]");
  process.exit(2);
}

const baseDir = path.resolve(".lifeboat/bench-rollback");
const outDir = path.join(baseDir, "out");
const say = (s: string) => console.log(`bench │ ${s}`);
const BEFORE = "before the bad release";
const AFTER = "after the bad release";

interface Probe {
  /** Longest run of bad answers, ms. */
  downtimeMs: number;
  /** When it began (epoch ms), null when no answer was bad. */
  worstAt: number | null;
  bad: number;
  total: number;
  errors: string[];
}

interface Measure {
  label: string;
  totalMs: number;
  /** What the probe saw. */
  downtimeMs: number;
  /** Measured here: Lifeboat, new connections refused (disallow → commit); seed, database missing or incomplete (DROP → psql done). */
  windowMs: number;
  notes: string;
}

async function main() {
  await requirePrereqs();
  await fs.mkdir(outDir, { recursive: true });
  const cluster = await startCluster({ baseDir: path.join(baseDir, "pg"), log: say });
  const results: { bytes: number; scale: number; dbBytes: number; lifeboat: Measure; seed: Measure }[] = [];
  try {
    for (const bytes of sizes) results.push(await benchSize(cluster, Math.max(1, Math.round(bytes / BYTES_PER_SCALE))));
  } finally {
    say("stopping the bench cluster (its data stays for the next run)");
    await cluster.stop().catch((e: Error) => say(`could not stop it: ${e.message}`));
  }
  report(results, cluster.info.major);
}

async function benchSize(cluster: Cluster, scale: number) {
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

    const lifeboat: Measure[] = [];
    const seed: Measure[] = [];
    for (let i = 1; i <= runs; i++) {
      // Lifeboat's way.
      await setBanner(cluster, db, AFTER);
      await admin`CHECKPOINT`;
      say(`run ${i}/${runs}: Lifeboat rollback (code + database from the dump)`);
      const probe = startProbe(cluster, db);
      await probe.ready;
      const state = newRollbackState();
      const phases: string[] = [];
      const timeline: [number, string][] = [];
      let phaseAt = performance.now();
      let phaseName = "start";
      const ctx: OpContext = {
        ...quietCtx(),
        phase: (name) => {
          const now = performance.now();
          phases.push(`${phaseName} ${secs(now - phaseAt)}`);
          timeline.push([Date.now(), name]);
          phaseName = name;
          phaseAt = now;
        },
      };
      const stamp = Date.now();
      const t0 = performance.now();
      await executeRollback({
        target: t,
        app,
        database: {
          source: "dump",
          file: path.join(outDir, "lifeboat.dump"),
          sha256: dumped.sha256,
          format: "custom",
          pgRestore,
          psql,
          jobs: dbBytes > 256e6 ? 2 : 1,
          staging: `${db}_staging_${stamp}`,
          preRollbackName: `${db}_pre_rollback_${stamp}`,
        },
        release: { name: "v1" },
        ctx,
        state,
        dataDir: await localDataDirectory(t),
      });
      const total = performance.now() - t0;
      const p = await probe.stop();
      await expectBanner(cluster, db, BEFORE);
      lifeboat.push({
        label: "Lifeboat",
        totalMs: total,
        downtimeMs: p.downtimeMs,
        windowMs: state.swap?.lockedOutMs ?? NaN,
        notes: `${p.bad}/${p.total} probes bad${p.errors.length ? ` (${p.errors.slice(0, 3).join(" | ")})` : ""}`,
      });
      const during = p.worstAt === null ? "" : `, the worst outage began while ${[...timeline].reverse().find(([at]) => at <= p.worstAt!)?.[1] ?? "starting"}`;
      say(`  total ${secs(total)}, database downtime ${ms(p.downtimeMs)}${during}; errors ${p.errors.join(" | ") || "none"}; phases: ${phases.slice(1).join(" · ")}`);
      await admin.unsafe(`DROP DATABASE ${db}_pre_rollback_${stamp}`);

      // The seed's way, on the same data: back to the bad state first.
      await switchRelease(root, "v2");
      await run("node", [appctl, "stop"]);
      await run("node", [appctl, "start"]);
      await setBanner(cluster, db, AFTER);
      await admin`CHECKPOINT`;
      say(`run ${i}/${runs}: the seed's way (stop app, drop + create database, psql the plain dump, switch, start)`);
      const probe2 = startProbe(cluster, db);
      await probe2.ready;
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
      const p2 = await probe2.stop();
      await expectBanner(cluster, db, BEFORE);
      seed.push({
        label: "seed",
        totalMs: seedTotal,
        downtimeMs: p2.downtimeMs,
        windowMs: seedWindow,
        notes: `${p2.bad}/${p2.total} probes bad${p2.errors.length ? ` (${p2.errors.slice(0, 3).join(" | ")})` : ""}`,
      });
      say(`  total ${secs(seedTotal)}, database downtime ${ms(p2.downtimeMs)}`);
      await switchRelease(root, "v2");
    }
    await run("node", [appctl, "stop"]).catch(() => {});
    return { bytes: scale * BYTES_PER_SCALE, scale, dbBytes, lifeboat: medianMeasure(lifeboat), seed: medianMeasure(seed) };
  } finally {
    await run("node", [appctl, "stop"]).catch(() => {});
    await admin.end({ timeout: 5 });
  }
}

/** The probe: its own process, so nothing in this one can delay it. Resolves its summary when stopped. */
function startProbe(cluster: Cluster, db: string): { ready: Promise<void>; stop: () => Promise<Probe> } {
  const postgresUrl = pathToFileURL(createRequire(path.join(process.cwd(), "package.json")).resolve("postgres")).href;
  const code = `
import postgres from ${JSON.stringify(postgresUrl)};
const connect = () => postgres(${JSON.stringify(cluster.url(db))}, { max: 1, idle_timeout: 0, connect_timeout: 2, onnotice: () => {},
  connection: { application_name: "bench-probe", statement_timeout: 2000 } });
let sql = connect();
const samples = [];
let stopping = false;
process.on("SIGTERM", () => { stopping = true; });
// A query can stay pending with its connection gone (seen with postgres.js when the server ends a session at
// the wrong instant): the probe gives up on it after 2.5 s, counts it as failed and starts a new client.
const keepAlive = setInterval(() => {}, 1000);
const hung = Symbol("hung");
await new Promise((r) => setTimeout(r, Number(process.argv[1] || 0)));
let announced = false;
while (!stopping) {
  const start = performance.now();
  let good = false, error = null;
  try {
    const q = sql\`SELECT (SELECT value FROM settings WHERE key = 'banner') AS banner,
      EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'pgbench_accounts_pkey') AS indexed\`;
    const got = await Promise.race([q, new Promise((r) => setTimeout(() => r(hung), 2500))]);
    if (got === hung) {
      sql.end({ timeout: 0 }).catch(() => {});
      sql = connect();
      throw new Error("query hung");
    }
    const [row] = got;
    good = row.banner != null && row.indexed;
    if (!good) error = row.banner == null ? "banner missing" : "index not built yet";
  } catch (e) { error = e.code || e.message; }
  const end = performance.now();
  if (end - start > 200 && good) { good = false; error = "blocked " + Math.round(end - start) + " ms"; }
  samples.push([start, end, good, error]);
  if (good && !announced) { announced = true; process.stdout.write("ready\\n"); }
  const wait = 10 - (performance.now() - start);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
// An outage runs from the start of its first bad answer to the end of the next good one: the longest a request
// arriving in it waited for a good answer.
let longest = 0, runStart = null, bad = 0, worstAt = null;
const errors = new Set();
for (const [start, end, good, error] of samples) {
  if (!good) {
    bad++;
    if (error) errors.add(/^[0-9A-Z]{5}$/.test(error) ? error : error.replace(/\\d+/g, "N"));
    if (runStart === null) runStart = start;
    if (end - runStart > longest) { longest = end - runStart; worstAt = runStart; }
  } else if (runStart !== null) {
    if (end - runStart > longest) { longest = end - runStart; worstAt = runStart; }
    runStart = null;
  }
}
clearInterval(keepAlive);
process.stdout.write(JSON.stringify({ downtimeMs: Math.round(longest), worstAt: worstAt === null ? null : performance.timeOrigin + worstAt, bad, total: samples.length, errors: [...errors] }) + "\\n");
await sql.end({ timeout: 1 }).catch(() => {});
process.exit(0);
`;
  // Several probe processes, like a small pool, their 10 ms ticks staggered: a window shorter than the tick
  // still meets one of them. Each is its own process so that reconnecting (SCRAM) never queues behind another.
  const probes = Array.from({ length: PROBES }, (_, i) => {
    const child: ChildProcess = spawn(process.execPath, ["--input-type=module", "-e", code, String((i * PROBE_MS) / PROBES)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (err += c));
    let markReady: () => void;
    const ready = new Promise<void>((r) => (markReady = r));
    child.stdout!.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      if (out.includes("ready\n")) markReady();
    });
    let exit = "";
    const exited = new Promise<void>((r) => child.on("exit", (code, signal) => ((exit = `exit ${code ?? signal}`), r())));
    return { child, ready, exited, out: () => `${out}${err}${exit}` };
  });
  return {
    ready: Promise.all(probes.map((p) => p.ready)).then(() => {}),
    async stop() {
      // Let them see the app's steady state for a moment after the operation.
      await new Promise((r) => setTimeout(r, 300));
      for (const p of probes) p.child.kill("SIGTERM");
      await Promise.all(probes.map((p) => p.exited));
      const all = probes.map((p) => {
        const line = p.out().split("\n").find((l) => l.startsWith("{"));
        if (!line) throw new Error(`a probe printed no summary:\n${p.out()}`);
        return JSON.parse(line) as Probe;
      });
      // The worst any probe saw: the longest a request on this pool could have waited.
      const worst = all.reduce((a, b) => (b.downtimeMs > a.downtimeMs ? b : a));
      return {
        downtimeMs: worst.downtimeMs,
        worstAt: worst.worstAt,
        bad: all.reduce((n, a) => n + a.bad, 0),
        total: all.reduce((n, a) => n + a.total, 0),
        errors: [...new Set(all.flatMap((a) => a.errors))],
      };
    },
  };
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
    const lb = Math.max(r.lifeboat.downtimeMs, PROBE_MS);
    rows.push([size, "Lifeboat: restore aside, then swap", secs(r.lifeboat.totalMs), downtime(r.lifeboat.downtimeMs), ms(r.lifeboat.windowMs), "1×", r.lifeboat.notes]);
    rows.push([
      size,
      "seed: stop, drop+create, psql plain dump",
      secs(r.seed.totalMs),
      downtime(r.seed.downtimeMs),
      ms(r.seed.windowMs),
      `${r.lifeboat.downtimeMs < PROBE_MS ? "≥ " : ""}${ratio(r.seed.downtimeMs, lb)}`,
      r.seed.notes,
    ]);
  }
  console.log("");
  console.log(`Lifeboat rollback benchmark — database downtime during a code + database rollback, PostgreSQL ${major}, fsync on, median of ${runs} run(s)`);
  printTable(["database", "method", "total", "DB downtime (probe)", "refused/incomplete", "seed ÷ Lifeboat", "probes"], rows, new Set([0, 2, 3, 4, 5]));
  console.log("");
  const small = results[0];
  const big = results[results.length - 1];
  if (big) {
    const goal = big.lifeboat.downtimeMs <= 500;
    console.log(`Goal: Lifeboat ≤ 0.5 s of database downtime at the largest size (${formatBytes(big.dbBytes)}): ${downtime(big.lifeboat.downtimeMs)} — ${goal ? "met" : "NOT met"}`);
  }
  if (small && big && small !== big) {
    // Below the probe's resolution both count as one probe interval.
    const k = Math.max(big.lifeboat.downtimeMs, PROBE_MS) / Math.max(small.lifeboat.downtimeMs, PROBE_MS);
    const kw = big.lifeboat.windowMs / Math.max(1, small.lifeboat.windowMs);
    console.log(
      `Goal: the ${formatBytes(big.dbBytes)} downtime ≤ 1.5× the ${formatBytes(small.dbBytes)} one: ${k.toFixed(2)}× by the probe, ` +
        `${kw.toFixed(2)}× by the refused-connections window — ${k <= 1.5 ? "met" : "NOT met"}`,
    );
  }
  console.log("");
  console.log("Downtime: the longest run of probe answers (4 probes, each every 10 ms on its own connection to the live database by");
  console.log("name, ticks staggered by 2.5 ms; the worst of them) that failed,");
  console.log("took over 200 ms, or found the data incomplete, up to the end of the next good answer (a dropped connection's");
  console.log("reconnect and authentication count). Lifeboat's total includes the restore into staging and its row-count check while");
  console.log("the app keeps serving, stopping and starting the demo app, and its health check; the seed's total is its whole outage.");
  console.log("\"refused/incomplete\" is timed here: for Lifeboat, from refusing new connections to the live");
  console.log("database until the swap committed (existing sessions keep working until they are ended inside it); for the seed,");
  console.log("from DROP DATABASE until psql finished. \"< 10 ms\": no probe answer was bad.");
  console.log("One shared, noisy machine: compare the ratios, not the milliseconds.");
}

function medianMeasure(xs: Measure[]): Measure {
  const s = [...xs].sort((a, b) => a.downtimeMs - b.downtimeMs);
  return s[Math.floor((s.length - 1) / 2)]!;
}

function quietCtx(): OpContext {
  return { log: () => {}, phase: () => {}, progress: () => {}, step: async () => {} };
}

const PROBE_MS = 10;
const PROBES = 4;
const secs = (x: number) => `${(x / 1000).toFixed(2)} s`;
const downtime = (x: number) => (x < PROBE_MS ? `< ${PROBE_MS} ms` : ms(x));
const ms = (x: number) => (x < 1000 ? `${Math.round(x)} ms` : secs(x));
const ratio = (a: number, b: number) => `${Math.round(a / Math.max(1, b))}×`;

main().catch((e) => {
  console.error(`bench │ failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
