import fs from "node:fs/promises";
import { formatAge, formatBytes } from "@/lib/format";
import { checkDbReachable, checkHealth, startApp, stopApp, type AppControl, type HealthResult } from "./app-control";
import { dropDatabaseIfExists, listSessions } from "./clone";
import type { OpContext } from "./context";
import { assertSpaceFor } from "./disk";
import type { DumpFormat } from "./dump";
import { OpError } from "./errors";
import { assertDbName, quoteIdent } from "./identifiers";
import { readCurrentRelease, switchRelease } from "./releases";
import { restoreDumpToNewDatabase } from "./restore";
import type { DbStats } from "./server-backups";
import { connectionError } from "./server-info";
import { swapDatabases, type SwapResult } from "./swap";
import { connectTarget, MAINTENANCE_DB, withMaintenance, type TargetDb } from "./target";

// Rollback, restore, roll-forward and undo share one sequence:
//   with a database: free space → build a staging database while the app still runs (pg_restore of a dump,
//   or CREATE DATABASE … TEMPLATE of a clone) → check it → stop the app → swap (lib/ops/swap.ts) →
//   switch `current` → start the app → health check.
// Before the swap nothing the app uses has changed: a failure there drops the staging database, starts the
// app again if it was stopped and leaves `current` alone. After the swap nothing is reverted automatically:
// the job fails with "undo available", and undo runs this same sequence with the roles exchanged.
// Nothing is ever dropped but a staging database this run made itself.

export type RollbackKind = "rollback" | "restore" | "switch_release" | "undo";

// ─── the plan (pure) ──────────────────────────────────────────────────────────────────────────────────────

export interface PlanBackup {
  id: number;
  name: string;
  method: "dump" | "clone";
  createdAt: Date;
  sizeBytes: number | null;
  /** pg_stat_database counters captured when the backup was taken. */
  stats: DbStats | null;
  release: string | null;
}

export interface LiveStats {
  stats: DbStats;
  statsReset: Date | null;
  serverStartedAt: Date;
}

export interface RollbackPlanInput {
  kind: RollbackKind;
  app: {
    slug: string;
    dbName: string;
    stopCommand: string[] | null;
    startCommand: string[] | null;
    healthUrl: string | null;
    healthTimeoutSec: number;
  };
  currentRelease: string | null;
  /** The release `current` will point at; null when the code does not change. */
  targetRelease: string | null;
  /** The backup restored (rollback with database, restore). */
  backup?: PlanBackup | null;
  /** Undo: the database put back in place (a pre-rollback database) and the job undone. */
  undo?: { jobId: number; putBack: string | null } | null;
  /** The live database's counters now; null when they could not be read. */
  liveNow?: LiveStats | null;
  /** When the live database was last replaced by a swap (its counters then started over); null if never. */
  lastSwapAt?: Date | null;
  liveSizeBytes?: number | null;
  now: Date;
}

export interface PlanStep {
  key: "space" | "staging" | "check" | "stop" | "swap" | "switch" | "start" | "health";
  text: string;
}

export interface DataLossWindow {
  backupName: string;
  backupTakenAt: Date;
  backupAgeMs: number;
  /** Writes since the backup from pg_stat_database; null when unknown (see `text`). */
  writesSince: (DbStats & { lowerBound: boolean }) | null;
  text: string;
}

export interface RollbackPlan {
  kind: RollbackKind;
  title: string;
  steps: PlanStep[];
  dataLoss: DataLossWindow | null;
  warnings: string[];
  /** The same operation from a shell on the Lifeboat host. */
  cli: string;
}

/** The ordered steps an operation will run, in words for the dialog and the CLI. Pure. */
export function planRollback(input: RollbackPlanInput): RollbackPlan {
  const { app, kind } = input;
  const db = app.dbName;
  const pre = `${db}_pre_rollback_<time>`;
  const staging = `${db}_staging_<time>`;
  const restoresDb = !!input.backup || !!input.undo?.putBack;
  const switchesCode = !!input.targetRelease && input.targetRelease !== input.currentRelease;
  const steps: PlanStep[] = [];
  const warnings: string[] = [];

  if (input.backup) {
    const b = input.backup;
    const size = input.liveSizeBytes ?? b.sizeBytes;
    steps.push({ key: "space", text: `Check free space for a new copy of the database${size ? ` (about ${formatBytes(size)})` : ""}.` });
    steps.push({
      key: "staging",
      text:
        b.method === "dump"
          ? `Restore ${b.name} into a new database ${staging} with pg_restore, while the app keeps running. Any error stops here.`
          : `Copy the clone ${b.name} into a new database ${staging} (CREATE DATABASE … TEMPLATE), while the app keeps running. The clone stays a backup.`,
    });
    steps.push({ key: "check", text: `Check ${staging}: every table readable, row counts. If this fails, ${staging} is dropped and nothing else changes.` });
  }
  steps.push({
    key: "stop",
    text: app.stopCommand?.length
      ? `Stop the app: ${app.stopCommand.join(" ")}`
      : "Stop the app: no stop command is configured, so the app keeps running" + (restoresDb ? " (its database sessions are ended at the swap)." : "."),
  });
  if (input.backup) {
    steps.push({
      key: "swap",
      text:
        `Swap the databases: refuse new connections to ${db} and end its sessions, then in one transaction rename ${db} → ${pre} and ${staging} → ${db}. ` +
        `${pre} is kept as a pinned pre-rollback backup; nothing is dropped.`,
    });
  } else if (input.undo?.putBack) {
    steps.push({
      key: "swap",
      text:
        `Swap the databases: refuse new connections to ${db} and end its sessions, then in one transaction rename ${db} → ${pre} and ${input.undo.putBack} → ${db}. ` +
        `${pre} is kept as a pinned pre-rollback backup, so this undo can itself be undone.`,
    });
  }
  if (switchesCode) {
    steps.push({ key: "switch", text: `Point current at releases/${input.targetRelease} (now releases/${input.currentRelease ?? "—"}), atomically.` });
  }
  steps.push({
    key: "start",
    text: app.startCommand?.length ? `Start the app: ${app.startCommand.join(" ")}` : "Start the app: no start command is configured; start it yourself.",
  });
  steps.push({
    key: "health",
    text: app.healthUrl
      ? `Health check: GET ${app.healthUrl} must answer 2xx within ${app.healthTimeoutSec} s, and ${db} must accept connections.`
      : `Health check: ${db} must accept connections (no health URL is configured).`,
  });

  if (!app.startCommand?.length && (switchesCode || restoresDb)) warnings.push("No start command is configured: Lifeboat cannot start the app; start it yourself afterwards.");
  if (!app.stopCommand?.length && switchesCode) warnings.push("No stop command is configured: the old code keeps running until the app is restarted.");
  if (kind === "rollback" && !input.backup) warnings.push("Code only: the older code will run against the current database, whose schema may be newer.");
  if (input.backup && input.targetRelease && input.backup.release && input.backup.release !== input.targetRelease) {
    warnings.push(`The backup was taken while release ${input.backup.release} was current, not ${input.targetRelease}.`);
  }
  if (input.undo) {
    warnings.push(`This undoes job #${input.undo.jobId}.`);
    if (input.undo.putBack) {
      warnings.push(`Whatever was written to ${db} since job #${input.undo.jobId} is not lost: that database is kept as a pre-rollback backup.`);
    }
  }
  if (restoresDb || switchesCode) warnings.push("If a step after the swap or switch fails, the job ends failed and Undo puts back the previous database and release.");

  const dataLoss = input.backup ? dataLossWindow(input.backup, input.liveNow ?? null, input.lastSwapAt ?? null, input.now, pre) : null;
  return { kind, title: planTitle(input, switchesCode), steps, dataLoss, warnings, cli: cliCommand(input) };
}

/**
 * How much the restore loses: the backup's age, and what pg_stat_database says was written since. Says
 * "unknown" whenever the counters cannot be compared (none recorded, reset, database replaced since).
 */
export function dataLossWindow(backup: PlanBackup, liveNow: LiveStats | null, lastSwapAt: Date | null, now: Date, keptAs: string): DataLossWindow {
  const ageMs = Math.max(0, now.getTime() - backup.createdAt.getTime());
  const base = { backupName: backup.name, backupTakenAt: backup.createdAt, backupAgeMs: ageMs };
  const ageText = `The backup ${backup.name} is ${formatAge(backup.createdAt, now)} old.`;
  const unknown = (why: string): DataLossWindow => ({
    ...base,
    writesSince: null,
    text: `${ageText} Writes since then: unknown (${why}). Everything written since stays in ${keptAs}, which is kept.`,
  });
  if (!backup.stats) return unknown("no counters were recorded when the backup was taken");
  if (!liveNow) return unknown("the server's counters could not be read");
  if (lastSwapAt && lastSwapAt >= backup.createdAt) {
    return unknown("the live database was replaced by a rollback or restore since then (or this copy is the one it replaced), so the counters are another database's");
  }
  if (liveNow.statsReset && liveNow.statsReset > backup.createdAt) return unknown("the server's statistics were reset since then");
  const keys = ["xactCommit", "tupInserted", "tupUpdated", "tupDeleted"] as const;
  const diff = {} as DbStats;
  for (const k of keys) {
    diff[k] = liveNow.stats[k] - backup.stats[k];
    if (diff[k] < 0) return unknown("the counters went backwards: they were reset since then");
  }
  // A crash resets the counters without setting stats_reset: after a restart the difference is only a lower bound.
  const lowerBound = liveNow.serverStartedAt > backup.createdAt;
  const n = (v: number) => v.toLocaleString("en-US");
  const writes = diff.tupInserted + diff.tupUpdated + diff.tupDeleted;
  const what =
    writes === 0 && diff.xactCommit === 0
      ? "nothing was written"
      : `${lowerBound ? "at least " : "about "}${n(diff.tupInserted)} rows were inserted, ${n(diff.tupUpdated)} updated and ${n(diff.tupDeleted)} deleted ` +
        `(${n(diff.xactCommit)} transactions committed, reads included)`;
  const restart = lowerBound ? " The server restarted since the backup, and a crash would have reset its counters, so there may have been more." : "";
  const lost = writes > 0 ? ` Those changes will not be in the restored database; they stay in ${keptAs}, which is kept.` : "";
  return { ...base, writesSince: { ...diff, lowerBound }, text: `${ageText} Since then ${what}.${restart}${lost}` };
}

function planTitle(input: RollbackPlanInput, switchesCode: boolean): string {
  const { app } = input;
  switch (input.kind) {
    case "undo":
      return `Undo job #${input.undo?.jobId ?? "?"} on ${app.slug}`;
    case "restore":
      return `Restore ${app.dbName} from ${input.backup?.name ?? "a backup"}`;
    case "switch_release":
      return `Switch ${app.slug} to release ${input.targetRelease}`;
    case "rollback":
      return `Roll ${app.slug} back to ${switchesCode ? `release ${input.targetRelease}` : "the current release"}${input.backup ? ` with the database from ${input.backup.name}` : " (code only)"}`;
  }
}

function cliCommand(input: RollbackPlanInput): string {
  const base = `npm run lifeboat -- `;
  const slug = input.app.slug;
  switch (input.kind) {
    case "undo":
      return `${base}undo ${slug} --job ${input.undo?.jobId ?? "<job id>"}`;
    case "restore":
      return `${base}restore ${slug} --backup ${input.backup?.id ?? "<backup id>"}`;
    case "switch_release":
      return `${base}switch-release ${slug} --release ${input.targetRelease ?? "<release>"}`;
    case "rollback":
      return `${base}rollback ${slug} --release ${input.targetRelease ?? "<release>"}${input.backup ? ` --restore-db --backup ${input.backup.id}` : ""}`;
  }
}

// ─── reading the server (for the plan and the free-space check) ───────────────────────────────────────────

/** The live database's pg_stat_database counters, when they were last reset, and when the server started. */
export async function readLiveStats(target: TargetDb): Promise<LiveStats> {
  assertDbName(target.database);
  return withMaintenance(target, async (sql) => {
    const [row] = await sql<{ x: string; i: string; u: string; d: string; reset: Date | null; started: Date }[]>`
      SELECT coalesce(s.xact_commit, 0)::text AS x, coalesce(s.tup_inserted, 0)::text AS i, coalesce(s.tup_updated, 0)::text AS u,
             coalesce(s.tup_deleted, 0)::text AS d, s.stats_reset AS reset, pg_postmaster_start_time() AS started
      FROM (SELECT 1) one LEFT JOIN pg_stat_database s ON s.datname = ${target.database}`;
    return {
      stats: { xactCommit: Number(row!.x), tupInserted: Number(row!.i), tupUpdated: Number(row!.u), tupDeleted: Number(row!.d) },
      statsReset: row!.reset,
      serverStartedAt: row!.started,
    };
  }).catch((e: unknown) => {
    throw connectionError(e, target, MAINTENANCE_DB);
  });
}

/**
 * The server's data directory when it is on this machine and readable (a local server and a role allowed
 * to see `data_directory`), for the free-space check; null when that cannot be known from here.
 */
export async function localDataDirectory(target: TargetDb): Promise<string | null> {
  const local = ["127.0.0.1", "localhost", "::1"].includes(target.host) || target.host.startsWith("/");
  if (!local) return null;
  try {
    const dir = await withMaintenance(target, async (sql) => {
      const [row] = await sql<{ dir: string }[]>`SELECT current_setting('data_directory') AS dir`;
      return row!.dir;
    });
    await fs.statfs(dir);
    return dir;
  } catch {
    return null;
  }
}

async function databaseSize(target: TargetDb, name: string): Promise<number | null> {
  return withMaintenance(target, async (sql) => {
    const [row] = await sql<{ bytes: string | null }[]>`
      SELECT CASE WHEN has_database_privilege(oid, 'CONNECT') THEN pg_database_size(oid)::text END AS bytes FROM pg_database WHERE datname = ${name}`;
    return row?.bytes ? Number(row.bytes) : null;
  }).catch(() => null);
}

// ─── running it ───────────────────────────────────────────────────────────────────────────────────────────

export type DatabaseSource =
  /** pg_restore (or psql for a plain dump) into a new staging database. */
  | { source: "dump"; file: string; format: DumpFormat; pgRestore: string; psql: string; jobs?: number; staging: string; preRollbackName: string }
  /** CREATE DATABASE staging TEMPLATE clone: the clone stays a backup. */
  | { source: "clone"; cloneName: string; strategy: "file_copy" | "wal_log"; supportsStrategy: boolean; staging: string; preRollbackName: string }
  /** Undo: an existing database (a pre-rollback one) is renamed into place as it is, with no copy. */
  | { source: "existing"; name: string; preRollbackName: string };

export interface RollbackState {
  stagingCreated: boolean;
  stagingDropped: boolean;
  appStopped: boolean;
  swapped: boolean;
  switched: boolean;
  appStarted: boolean;
  /** What `current` pointed at before a switch. */
  previousRelease: string | null;
  stagingCheck?: { tables: number; rows: number };
  swap?: SwapResult;
  health?: { http: HealthResult | null; db: { ok: boolean; error?: string } };
}

export function newRollbackState(): RollbackState {
  return { stagingCreated: false, stagingDropped: false, appStopped: false, swapped: false, switched: false, appStarted: false, previousRelease: null };
}

export interface ExecuteRollbackInput {
  target: TargetDb;
  app: AppControl & { slug: string; healthUrl: string | null; healthTimeoutSec: number };
  database?: DatabaseSource | null;
  /** The release `current` should point at; absent when the code does not change. */
  release?: { name: string; allowUnmarked?: boolean } | null;
  ctx: OpContext;
  /** Filled in as steps complete; the caller reads it after success or failure (what changed, what undo needs). */
  state: RollbackState;
  /** Free-space check: a local directory on the database server's disk, or null when unknown. */
  dataDir?: string | null;
  terminateTimeoutMs?: number;
  hooks?: {
    /** Just before the swap (e.g. record the pre-rollback backup row, so a crash after it is reconciled). */
    beforeSwap?: () => Promise<void>;
    afterSwap?: (swap: SwapResult) => Promise<void>;
    swapFailed?: () => Promise<void>;
  };
}

/** Runs the sequence described at the top of this file. Throws an OpError on failure; `state` says how far it got. */
export async function executeRollback(input: ExecuteRollbackInput): Promise<RollbackState> {
  const { target, app, ctx, state } = input;
  const dbPart = input.database ?? null;
  const live = target.database;
  assertDbName(live);

  // 1. Staging, while the app still runs.
  try {
    if (dbPart && dbPart.source !== "existing") {
      await buildStaging(input, dbPart);
      await checkStaging(input, dbPart.staging);
    } else if (dbPart?.source === "existing") {
      await assertExists(target, dbPart.name);
    }
  } catch (e) {
    await cleanupBeforeSwap(input, e);
    throw e;
  }

  // 2. Stop the app.
  try {
    await ctx.step("rollback:stop", { live, release: input.release?.name ?? null, stops: !!app.stopCommand?.length });
    ctx.phase("stopping the app");
    state.appStopped = true;
    await stopApp(app, ctx);
  } catch (e) {
    await cleanupBeforeSwap(input, e);
    throw e;
  }

  // 3. Swap.
  if (dbPart) {
    const staging = dbPart.source === "existing" ? dbPart.name : dbPart.staging;
    try {
      await input.hooks?.beforeSwap?.();
      state.swap = await swapDatabases({ target, live, staging, preRollbackName: dbPart.preRollbackName, terminateTimeoutMs: input.terminateTimeoutMs, ctx });
      state.swapped = true;
    } catch (e) {
      await input.hooks?.swapFailed?.().catch((err: Error) => ctx.log(`could not record the failed swap: ${err.message}`));
      await cleanupBeforeSwap(input, e);
      throw e;
    }
    // Recording the pre-rollback backup must not keep the app down: a failure here is logged, and the row
    // stays "running" until recovery or the background refresh sees the database.
    await input.hooks?.afterSwap?.(state.swap).catch((e: Error) => ctx.log(`WARNING: could not record the pre-rollback backup: ${e.message}`));
  }

  // 4. Switch `current`. From here on nothing is reverted automatically: undo is.
  let failure: OpError | undefined;
  if (input.release) {
    try {
      const { deployRoot } = app;
      if (!deployRoot) throw new OpError("no_deploy_root", `${app.slug} has no deploy root, so its release cannot be switched.`);
      await ctx.step("rollback:switch", { from: await readCurrentRelease(deployRoot), to: input.release.name, deployRoot });
      ctx.phase("switching release");
      state.previousRelease = await switchRelease(deployRoot, input.release.name, { allowUnmarked: input.release.allowUnmarked });
      state.switched = true;
      ctx.log(`current → releases/${input.release.name} (was ${state.previousRelease ?? "nothing"})`);
    } catch (e) {
      failure = afterSwapFailure(e, "switching the release", state);
    }
  }

  // 5. Start the app (also after a failed switch: an app left stopped is the worst outcome).
  if (state.appStopped) {
    try {
      await ctx.step("rollback:start", { live });
      ctx.phase("starting the app");
      await startApp(app, ctx);
      state.appStarted = true;
    } catch (e) {
      failure ??= afterSwapFailure(e, "starting the app", state);
    }
  }
  if (failure) throw failure;

  // 6. Health.
  await ctx.step("rollback:health", { live });
  ctx.phase("checking health");
  const http = app.healthUrl ? await checkHealth(app.healthUrl, app.healthTimeoutSec * 1000, { signal: ctx.signal }) : null;
  const dbCheck = await checkDbReachable(target);
  state.health = { http, db: { ok: dbCheck.ok, error: dbCheck.error } };
  if (http) ctx.log(http.ok ? `health: ${app.healthUrl} answered ${http.status} after ${http.ms} ms` : `health: ${app.healthUrl} failed (${http.error ?? http.status}) after ${http.ms} ms`);
  ctx.log(dbCheck.ok ? `health: ${live} accepts connections` : `health: cannot connect to ${live}: ${dbCheck.error}`);
  if ((http && !http.ok) || !dbCheck.ok) {
    const what = [
      http && !http.ok ? `${app.healthUrl} did not answer 2xx within ${app.healthTimeoutSec} s (${http.error ?? `last status ${http.status}`})` : null,
      !dbCheck.ok ? `${live} does not accept connections (${dbCheck.error})` : null,
    ]
      .filter(Boolean)
      .join("; ");
    throw new OpError("health_failed", `The health check failed: ${what}. ${undoHint(state)}`);
  }
  ctx.phase("done");
  return state;
}

async function buildStaging(input: ExecuteRollbackInput, part: Exclude<DatabaseSource, { source: "existing" }>): Promise<void> {
  const { target, ctx, state } = input;
  const live = target.database;
  assertDbName(part.staging, "staging database name");
  if (part.staging === live) throw new OpError("refused", `The staging database must not be the live database "${live}".`);
  ctx.phase("checking free space");
  const sourceName = part.source === "clone" ? part.cloneName : null;
  if (sourceName) {
    await assertExists(target, sourceName);
    const { count } = await listSessions(target, sourceName);
    if (count > 0) {
      throw new OpError(
        "db_busy",
        `The clone "${sourceName}" is being accessed by ${count} other session${count === 1 ? "" : "s"}; a copy needs it to have none. Close them (psql, a pool pointed at it) and try again. Nothing was changed.`,
        { sessions: count },
      );
    }
  }
  const needed = Math.max((await databaseSize(target, live)) ?? 0, sourceName ? ((await databaseSize(target, sourceName)) ?? 0) : 0);
  if (input.dataDir) {
    await assertSpaceFor(input.dataDir, Math.ceil(needed * 1.1), `Restoring a copy of "${live}"`);
    ctx.log(`free space: enough for about ${formatBytes(needed)} in ${input.dataDir}`);
  } else {
    ctx.log("free space on the database server: unknown from here (not a local server, or the role may not read data_directory); PostgreSQL stops the copy cleanly if its disk fills");
  }

  await ctx.step("rollback:staging", { live, staging: part.staging, source: part.source, from: part.source === "dump" ? part.file : part.cloneName });
  state.stagingCreated = true;
  if (part.source === "dump") {
    ctx.phase("restoring into staging");
    const r = await restoreDumpToNewDatabase({
      target,
      pgRestore: part.pgRestore,
      psql: part.psql,
      file: part.file,
      format: part.format,
      newDb: part.staging,
      ctx,
      jobs: part.jobs,
    }).catch((e: unknown) => {
      // A database that already had this name is not ours: never drop it.
      if (e instanceof OpError && e.code === "db_exists") state.stagingCreated = false;
      throw e;
    });
    ctx.log(`restored into ${part.staging}: ${formatBytes(r.sizeBytes)} in ${(r.durationMs / 1000).toFixed(1)} s`);
  } else {
    ctx.phase("copying the clone into staging");
    const strategy = part.supportsStrategy ? ` STRATEGY ${part.strategy === "file_copy" ? "FILE_COPY" : "WAL_LOG"}` : "";
    await withMaintenance(target, async (sql) => {
      try {
        await sql.unsafe(`CREATE DATABASE ${quoteIdent(part.staging)} TEMPLATE ${quoteIdent(part.cloneName)}${strategy}`);
      } catch (e) {
        const err = e as { code?: string; message?: string };
        if (err.code === "55006") {
          throw new OpError("db_busy", `The clone "${part.cloneName}" is being accessed by other sessions (${err.message}); close them and try again. Nothing was changed.`);
        }
        if (err.code === "42P04") {
          state.stagingCreated = false; // not ours: never drop it
          throw new OpError("db_exists", `A database named "${part.staging}" already exists; it was left untouched. Try again in a second.`);
        }
        if (/permission denied/.test(err.message ?? "")) {
          throw new OpError("not_owner", `The user "${target.user}" may not copy "${part.cloneName}" (${err.message}): it needs CREATEDB and to own the clone.`);
        }
        throw connectionError(e, target, MAINTENANCE_DB);
      }
    });
    ctx.log(`copied ${part.cloneName} into ${part.staging}`);
  }
}

/**
 * Every ordinary table of `db` with its row count: count(*) reads every page, so a table that cannot be
 * read fails here. (tableFingerprint would also hash every row, but its one string_agg per table hits
 * PostgreSQL's 1 GB value limit at about 30 million rows: a check must not fail on a big table.)
 */
export async function countRows(target: TargetDb, db: string): Promise<{ table: string; rows: number }[]> {
  assertDbName(db);
  const sql = connectTarget(target, db);
  try {
    const tables = await sql<{ display: string; quoted: string }[]>`
      SELECT n.nspname || '.' || c.relname AS display, format('%I.%I', n.nspname, c.relname) AS quoted
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`;
    const out: { table: string; rows: number }[] = [];
    for (const t of tables) {
      // The name was quoted by the server (format %I), exact for any name.
      const [row] = await sql.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM ${t.quoted}`);
      out.push({ table: t.display, rows: Number(row!.n) });
    }
    return out;
  } catch (e) {
    throw connectionError(e, target, db);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** Every table of staging readable in full, with row counts; an empty copy of a non-empty database is refused. */
async function checkStaging(input: ExecuteRollbackInput, staging: string): Promise<void> {
  const { target, ctx, state } = input;
  ctx.phase("checking staging");
  const tables = await countRows(target, staging);
  const rows = tables.reduce((n, t) => n + t.rows, 0);
  state.stagingCheck = { tables: tables.length, rows };
  ctx.log(`${staging}: ${tables.length} tables, ${rows.toLocaleString("en-US")} rows`);
  for (const t of tables.slice(0, 50)) ctx.log(`  ${t.table}: ${t.rows.toLocaleString("en-US")} rows`);
  const liveTables = await listTables(target, target.database).catch(() => null);
  if (tables.length === 0 && liveTables && liveTables.length > 0) {
    throw new OpError(
      "staging_empty",
      `The restored database has no tables while ${target.database} has ${liveTables.length}: the backup looks empty or wrong. Nothing was changed; pick another backup.`,
    );
  }
  if (liveTables) {
    const have = new Set(tables.map((t) => t.table));
    const missing = liveTables.filter((t) => !have.has(t));
    if (missing.length) ctx.log(`tables in ${target.database} that the backup does not have (expected when the schema changed since): ${missing.slice(0, 20).join(", ")}`);
  }
}

async function listTables(target: TargetDb, db: string): Promise<string[]> {
  const sql = connectTarget(target, db);
  try {
    const rows = await sql<{ t: string }[]>`
      SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;
    return rows.map((r) => r.t);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** Before the swap: drop the staging database this run made, start the app again if it was stopped. `current` is untouched. */
async function cleanupBeforeSwap(input: ExecuteRollbackInput, cause: unknown): Promise<void> {
  const { target, ctx, state } = input;
  const part = input.database;
  ctx.log(`failed before the swap (${cause instanceof Error ? cause.message : String(cause)}); putting things back`);
  if (part && part.source !== "existing" && state.stagingCreated && !state.swapped) {
    try {
      await ctx.step("rollback:drop_staging", { live: target.database, staging: part.staging });
      if (await dropDatabaseIfExists(target, part.staging, { force: true })) ctx.log(`dropped the staging database ${part.staging}`);
      state.stagingDropped = true;
    } catch (e) {
      ctx.log(`could not drop the staging database ${part.staging}: ${(e as Error).message}; run recovery or drop it by hand`);
    }
  }
  if (state.appStopped) {
    try {
      ctx.phase("starting the app again");
      await startApp(input.app, ctx);
      state.appStarted = true;
    } catch (e) {
      ctx.log(`could not start the app again: ${(e as Error).message}. START IT BY HAND.`);
    }
  }
}

function afterSwapFailure(e: unknown, what: string, state: RollbackState): OpError {
  const msg = e instanceof Error ? e.message : String(e);
  return new OpError(
    e instanceof OpError ? e.code : "failed_after_swap",
    `${what[0]!.toUpperCase()}${what.slice(1)} failed: ${msg} ${undoHint(state)}`,
  );
}

function undoHint(state: RollbackState): string {
  const changed = [state.swapped ? "the database was swapped" : null, state.switched ? "current was switched" : null].filter(Boolean);
  if (changed.length === 0) return "";
  return `${changed.join(" and ")[0]!.toUpperCase()}${changed.join(" and ").slice(1)}; use Undo to put back the previous state.`;
}

async function assertExists(target: TargetDb, name: string): Promise<void> {
  assertDbName(name);
  const present = await withMaintenance(target, async (sql) => {
    const [row] = await sql<{ present: boolean }[]>`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${name}) AS present`;
    return row!.present;
  }).catch((e: unknown) => {
    throw connectionError(e, target, MAINTENANCE_DB);
  });
  if (!present) throw new OpError("db_missing", `database "${name}" does not exist on ${target.host}:${target.port}; nothing was changed.`);
}
