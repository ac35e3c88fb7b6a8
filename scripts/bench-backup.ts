// npm run bench:backup: how Lifeboat's backups compare with what they replace, measured side by side in one
// run on a throwaway cluster (fsync on) under .lifeboat/bench. Ratios are computed within the run; absolute
// times on a shared machine are noise.
//
//   npm run bench:backup                      scale 100 (≈ 1.5 GB pgbench database; built once, then reused)
//   npm run bench:backup -- --no-clones       the dumps only (verified vs bare pg_dump -Fc vs plain pg_dump)
//   npm run bench:backup -- --scale 5         a quick check
//   npm run bench:backup -- --runs 3          median of three runs per measurement
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { cloneDatabase } from "@/lib/ops/clone";
import type { OpContext } from "@/lib/ops/context";
import { DUMP_COMPRESSION_LEVEL, dumpDatabase } from "@/lib/ops/dump";
import { dirDumpJobs } from "@/lib/ops/dump-dir";
import { run } from "@/lib/ops/exec";
import { clientToolFor } from "@/lib/ops/pg-bin";
import { pgEnv, type TargetDb } from "@/lib/ops/target";
import { formatBytes } from "@/lib/format";
import { startCluster, type Cluster } from "./lib/pg-cluster";
import { requirePrereqs } from "./lib/prereqs";
import { printTable } from "./lib/print-table";

const { values: flags } = parseArgs({
  options: { scale: { type: "string", default: "100" }, runs: { type: "string", default: "1" }, "no-clones": { type: "boolean", default: false } },
  strict: true,
});
const scale = Number(flags.scale);
const runs = Number(flags.runs);
const clones = !flags["no-clones"];
if (!Number.isInteger(scale) || scale < 1 || !Number.isInteger(runs) || runs < 1) {
  console.error("usage: npm run bench:backup -- [--scale N] [--runs N]   (positive integers)");
  process.exit(2);
}

/** The product goals this benchmark checks. */
const GOAL = {
  /** A Lifeboat dump, verification and checksum included, at most this many times the seed's plain pg_dump… */
  dumpTime: 1.0,
  /** …and at most this many times an unverified pg_dump -Fc at the same compression level (verification's cost). */
  dumpVsBare: 1.05,
  /** …and at most this fraction of its size. */
  dumpSize: 0.1,
  /** A clone at most this many times a raw copy of the database's files (the like-for-like one: durable). */
  clone: 1.3,
};

const baseDir = path.resolve(".lifeboat/bench");
const outDir = path.join(baseDir, "out");
const isRoot = process.getuid?.() === 0;
const say = (s: string) => console.log(`bench │ ${s}`);

/** Runs a program as the postgres user when we are root (the data directory is theirs, mode 700). */
const asPostgres = (file: string, argv: string[]) => (isRoot ? run("runuser", ["-u", "postgres", "--", file, ...argv]) : run(file, argv));

async function main() {
  await requirePrereqs();
  await fs.mkdir(baseDir, { recursive: true });
  const cluster = await startCluster({ baseDir: path.join(baseDir, "pg"), log: say });
  try {
    await bench(cluster);
  } finally {
    say("stopping the bench cluster (its data stays for the next run)");
    await cluster.stop().catch((e: Error) => say(`could not stop it: ${e.message}`));
  }
}

async function bench(cluster: Cluster) {
  const db = `bench_s${scale}`;
  const t: TargetDb = { host: cluster.info.host, port: cluster.info.port, user: cluster.info.user, password: cluster.info.password, database: db };
  const admin = postgres(cluster.url(), { onnotice: () => {}, max: 1 });
  try {
    await ensurePgbench(cluster, admin, t);
    const [{ oid, size }] = (await admin`SELECT oid::text AS oid, pg_database_size(oid)::text AS size FROM pg_database WHERE datname = ${db}`) as unknown as [
      { oid: string; size: string },
    ];
    const dbBytes = Number(size);
    say(`database ${db}: ${formatBytes(dbBytes)} (pgbench scale ${scale}); ${runs} run(s) per measurement`);

    const pgDump = await clientToolFor("pg_dump", cluster.info.major);
    const pgRestore = await clientToolFor("pg_restore", cluster.info.major);
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.mkdir(outDir, { recursive: true });
    await fs.chmod(outDir, 0o755);
    if (isRoot) await run("chown", ["postgres:postgres", outDir]);
    const srcFiles = path.join(cluster.info.dataDir, "base", oid);
    const checkpoint = () => admin`CHECKPOINT`;

    // Untimed warm-up: every measurement then reads from the page cache (dropping caches is not possible here).
    say("warming the page cache");
    await asPostgres("cp", ["-r", srcFiles, path.join(outDir, "warmup")]);
    await fs.rm(path.join(outDir, "warmup"), { recursive: true, force: true });

    const m = {
      cp: [] as number[],
      cpSync: [] as number[],
      fileCopy: [] as number[],
      walLog: [] as number[],
      seedDump: [] as number[],
      bareDump: [] as number[],
      bareSize: 0,
      seedSize: 0,
      lbDump: [] as number[],
      lbSize: 0,
      lbPhases: new Map<string, number[]>(),
      bareDir: [] as number[],
      lbDir: [] as number[],
      lbDirSize: 0,
    };
    const dirJobs = dirDumpJobs();

    for (let i = 1; i <= runs; i++) {
      let t0 = 0;
      if (clones) {
      say(`run ${i}/${runs}: cp -r of base/${oid}`);
      await checkpoint();
      const cpDest = path.join(outDir, "cp");
      t0 = performance.now();
      await asPostgres("cp", ["-r", srcFiles, cpDest]);
      const cpMs = performance.now() - t0;
      await run("sync", []);
      m.cp.push(cpMs);
      m.cpSync.push(performance.now() - t0);
      await fs.rm(cpDest, { recursive: true, force: true });

      for (const strategy of ["file_copy", "wal_log"] as const) {
        say(`run ${i}/${runs}: Lifeboat clone (${strategy})`);
        const cloneName = `${db}_backup_bench_${strategy}`;
        await admin.unsafe(`DROP DATABASE IF EXISTS ${cloneName}`);
        await checkpoint();
        t0 = performance.now();
        await cloneDatabase({ target: t, source: db, cloneName, strategy, endSessions: false, ctx: quietCtx() });
        (strategy === "file_copy" ? m.fileCopy : m.walLog).push(performance.now() - t0);
        await admin.unsafe(`DROP DATABASE ${cloneName}`);
      }
      }

      say(`run ${i}/${runs}: bare pg_dump -Fc -Z${DUMP_COMPRESSION_LEVEL} to a file (no verification, no checksum)`);
      const bareFile = path.join(outDir, "bare.dump");
      await checkpoint();
      t0 = performance.now();
      await run(pgDump, ["--no-password", "-Fc", "-Z", String(DUMP_COMPRESSION_LEVEL), "-f", bareFile], { env: pgEnv(t) });
      m.bareDump.push(performance.now() - t0);
      m.bareSize = (await fs.stat(bareFile)).size;
      await fs.rm(bareFile);

      say(`run ${i}/${runs}: the seed's dump (pg_dump, plain, to a file)`);
      const seedFile = path.join(outDir, "seed.sql");
      await checkpoint();
      t0 = performance.now();
      await run(pgDump, ["--no-password", "-Fp", "-f", seedFile], { env: pgEnv(t) });
      m.seedDump.push(performance.now() - t0);
      m.seedSize = (await fs.stat(seedFile)).size;
      await fs.rm(seedFile);

      say(`run ${i}/${runs}: Lifeboat dump (custom, verified by a full read, sha256)`);
      const fileName = `db_backup_bench_${i}.dump`;
      await checkpoint();
      const phases = new Map<string, number>();
      let current: { name: string; at: number } | undefined;
      const ctx: OpContext = {
        ...quietCtx(),
        phase: (name) => {
          const now = performance.now();
          if (current) phases.set(current.name, (phases.get(current.name) ?? 0) + now - current.at);
          current = { name, at: now };
        },
      };
      t0 = performance.now();
      const r = await dumpDatabase({ target: t, pgDump, pgRestore, dir: outDir, fileName, format: "custom", ctx, estimatedBytes: dbBytes });
      const end = performance.now();
      if (current) phases.set(current.name, (phases.get(current.name) ?? 0) + end - current.at);
      m.lbDump.push(end - t0);
      m.lbSize = r.sizeBytes;
      for (const [name, ms] of phases) m.lbPhases.set(name, [...(m.lbPhases.get(name) ?? []), ms]);
      await fs.rm(r.path);

      // Directory format: pg_dump -j N writes one file per table (pgbench has one big table: little to share out).
      say(`run ${i}/${runs}: bare pg_dump -Fd -j ${dirJobs}, then Lifeboat's directory dump (verified, manifest sha256)`);
      await checkpoint();
      t0 = performance.now();
      await run(pgDump, ["--no-password", "-Fd", "-Z", String(DUMP_COMPRESSION_LEVEL), "-j", String(dirJobs), "-f", path.join(outDir, "bare.dir")], { env: pgEnv(t) });
      m.bareDir.push(performance.now() - t0);
      await fs.rm(path.join(outDir, "bare.dir"), { recursive: true });
      await checkpoint();
      t0 = performance.now();
      const d = await dumpDatabase({ target: t, pgDump, pgRestore, dir: outDir, fileName: `db_backup_bench_${i}.dir`, format: "directory", ctx: quietCtx(), estimatedBytes: dbBytes });
      m.lbDir.push(performance.now() - t0);
      m.lbDirSize = d.sizeBytes;
      await fs.rm(d.path, { recursive: true });
    }

    const cp = median(m.cp);
    const cpSync = median(m.cpSync);
    const fileCopy = median(m.fileCopy);
    const walLog = median(m.walLog);
    const seed = median(m.seedDump);
    const lb = median(m.lbDump);
    const bare = median(m.bareDump);
    const [bareDir, lbDir] = [median(m.bareDir), median(m.lbDir)];
    // A clone is durable when CREATE DATABASE returns (FILE_COPY checkpoints and fsyncs every copied file;
    // WAL_LOG fsyncs the WAL), so the like-for-like raw copy is cp -r followed by sync. Plain cp -r is shown
    // too: it is the lower bound, but its copy is still only in the page cache when it is timed.
    const cloneGoal = (ms: number) => `≤ ${GOAL.clone.toFixed(2)}× cp -r + sync: ${verdict(ms / cpSync <= GOAL.clone)}`;
    const dumpLabel = `Lifeboat dump -Fc -Z${DUMP_COMPRESSION_LEVEL} + verify + sha256`;
    const cloneRows: string[][] = [
      ["cp -r base/<oid> (no fsync)", secs(cp), formatBytes(dbBytes), "1.00× (lower bound; not durable)", ""],
      ["cp -r + sync", secs(cpSync), formatBytes(dbBytes), `1.00× (like-for-like baseline for clones; ${ratio(cpSync, cp)} cp -r)`, ""],
      [
        "Lifeboat clone, FILE_COPY (default)",
        secs(fileCopy),
        formatBytes(dbBytes),
        `${ratio(fileCopy, cpSync)} vs cp -r + sync (like-for-like) · ${ratio(fileCopy, cp)} vs cp -r`,
        cloneGoal(fileCopy),
      ],
      [
        "Lifeboat clone, WAL_LOG (opt-in)",
        secs(walLog),
        formatBytes(dbBytes),
        `${ratio(walLog, cpSync)} vs cp -r + sync · ${ratio(walLog, cp)} vs cp -r · ${ratio(walLog, fileCopy)} vs FILE_COPY`,
        cloneGoal(walLog),
      ],
    ];
    const rows: string[][] = [
      ...(clones ? cloneRows : []),
      ["seed: pg_dump -Fp -f file.sql", secs(seed), formatBytes(m.seedSize), "1.00× (baseline for dumps)", ""],
      [`bare pg_dump -Fc -Z${DUMP_COMPRESSION_LEVEL} -f file (unverified)`, secs(bare), formatBytes(m.bareSize), `${ratio(bare, seed)} time vs seed`, ""],
      [
        dumpLabel,
        secs(lb),
        formatBytes(m.lbSize),
        `${ratio(lb, bare)} vs bare -Fc · ${ratio(lb, seed)} time, ${ratio(m.lbSize, m.seedSize)} size vs seed`,
        `≤ ${GOAL.dumpVsBare.toFixed(2)}× bare: ${verdict(lb / bare <= GOAL.dumpVsBare)} · ≤ ${GOAL.dumpTime.toFixed(2)}× seed: ${verdict(lb / seed <= GOAL.dumpTime)} · size ≤ ${GOAL.dumpSize.toFixed(2)}×: ${verdict(m.lbSize / m.seedSize <= GOAL.dumpSize)}`,
      ],
      [`bare pg_dump -Fd -j ${dirJobs} -Z${DUMP_COMPRESSION_LEVEL} (unverified)`, secs(bareDir), "", `${ratio(bareDir, bare)} vs bare -Fc`, ""],
      [`Lifeboat dump -Fd -j ${dirJobs}, then verify + manifest sha256`, secs(lbDir), formatBytes(m.lbDirSize), `${ratio(lbDir, bareDir)} vs bare -Fd · ${ratio(lbDir, bare)} vs bare -Fc`, "(no goal: verified after the dump)"],
    ];

    console.log("");
    console.log(`Lifeboat backup benchmark — pgbench scale ${scale}, database ${formatBytes(dbBytes)}, PostgreSQL ${cluster.info.major}, fsync on, median of ${runs} run(s)`);
    printTable(["measurement", "time", "size", "ratio", "goal"], rows, new Set([1, 2]));
    // Where the dump's time goes: the median of each phase (so they need not add up to the median total).
    const phases = [...m.lbPhases].map(([name, values]) => `${name} ${secs(median(values))}`).join(" · ");
    console.log(`  ↳ ${phases}`);
    console.log("");
    if (clones) {
      console.log(`Goals: clone ≤ ${GOAL.clone}× a raw copy of the database's files, judged against the like-for-like cp -r + sync`);
      console.log(`(against plain cp -r, whose copy is not yet on disk, FILE_COPY is ${ratio(fileCopy, cp)}: ${verdict(fileCopy / cp <= GOAL.clone)} there);`);
    }
    console.log(`Lifeboat dump with verification and checksum ≤ ${GOAL.dumpVsBare}× an unverified pg_dump -Fc -Z${DUMP_COMPRESSION_LEVEL}, ≤ ${GOAL.dumpTime}× the seed's pg_dump time`);
    console.log(`and ≤ ${GOAL.dumpSize}× its size.`);
    console.log("");
    console.log("Caveats: one shared, noisy machine; compare the ratios, not the seconds. Every measurement starts after a");
    console.log("CHECKPOINT, with the database's files in the page cache (caches cannot be dropped here).");
    if (clones) {
      console.log("cp -r does not fsync; cp -r + sync flushes it (sync is system-wide). FILE_COPY checkpoints before and after and");
      console.log("fsyncs the copy; WAL_LOG writes the whole database to WAL.");
    }
    console.log("pg_dump -f fsyncs its output. The Lifeboat dump includes gzip level");
    console.log(`${DUMP_COMPRESSION_LEVEL} (-Fc -Z${DUMP_COMPRESSION_LEVEL}); pg_dump writes to Lifeboat's pipe, and the same bytes go to the file, a sha256 and`);
    console.log("pg_restore -f /dev/null in one pass, then an fsync. The bare pg_dump -Fc fsyncs its file itself.");
    console.log("pgbench rows are mostly blank padding and compress far better than most real data.");
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Builds the pgbench database once per scale; a marker table says it finished. */
async function ensurePgbench(cluster: Cluster, admin: postgres.Sql, t: TargetDb) {
  const db = t.database;
  const exists = (await admin`SELECT 1 FROM pg_database WHERE datname = ${db}`).length > 0;
  if (exists) {
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
    say(`${db} is incomplete; building it again`);
    await admin.unsafe(`DROP DATABASE ${db} WITH (FORCE)`);
  }
  await admin.unsafe(`CREATE DATABASE ${db}`);
  say(`building ${db} with pgbench -i -s ${scale} (once; reused by later runs)`);
  const started = performance.now();
  await run(path.join(cluster.info.binDir, "pgbench"), ["-i", "-s", String(scale), "--quiet"], {
    env: pgEnv(t),
    onStderrLine: (l) => /^done in/.test(l.trim()) && say(`  pgbench: ${l.trim()}`),
  });
  const sql = postgres(cluster.url(db), { onnotice: () => {}, max: 1 });
  try {
    await sql`CREATE TABLE lifeboat_bench_meta (scale int NOT NULL)`;
    await sql`INSERT INTO lifeboat_bench_meta VALUES (${scale})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  say(`built in ${secs(performance.now() - started)}`);
}

function quietCtx(): OpContext {
  return { log: () => {}, phase: () => {}, progress: () => {}, step: async () => {} };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (met: boolean) => (met ? "met" : "NOT met");
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

main().catch((e) => {
  console.error(`bench │ failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
