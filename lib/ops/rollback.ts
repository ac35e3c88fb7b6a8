import { z } from "zod";
import { formatBytes } from "@/lib/format";
import { checkDbReachable, checkHealth, startApp, stopApp, type AppControl, type HealthResult } from "./app-control";
import { listSessions } from "./clone";
import { dropDatabaseIfExists } from "./db-admin";
import type { OpContext } from "./context";
import { assertSpaceFor } from "./disk";
import type { DumpFormat } from "./dump";
import { OpError } from "./errors";
import { assertDbName, quoteIdent } from "./identifiers";
import { dbNameField, defineSteps } from "./journal";
import { readCurrentRelease, releaseSteps, switchRelease } from "./releases";
import { restoreDumpToNewDatabase } from "./restore";
import { fingerprintDatabase } from "./backup-identity";
import type { FidelityDifference } from "./fidelity";
import { checkFidelity, giveIdentity, giveOwnership, repairTriggers, type FidelityPlan } from "./restore-fidelity";
import { assertExists, databaseSize, listTables } from "./rollback-server";
import { connectionError } from "./server-info";
import { swapDatabases, type SwapResult } from "./swap";
import { MAINTENANCE_DB, withMaintenance, type TargetDb } from "./target";

// Rollback, restore, roll-forward and undo share one sequence:
//   with a database: free space → build a staging database while the app still runs (pg_restore of a dump,
//   or CREATE DATABASE … TEMPLATE of a clone) → check it → stop the app → swap (lib/ops/swap.ts) →
//   switch `current` → start the app → health check.
// Before the swap nothing the app uses has changed: a failure there drops the staging database, starts the
// app again if it was stopped and leaves `current` alone. After the swap nothing is reverted automatically:
// the job fails with "undo available", and undo runs this same sequence with the roles exchanged.
// Nothing is ever dropped but a staging database this run made itself.

// The plan (what this will do, in words) is lib/ops/rollback-plan.ts; the read-only server queries are
// lib/ops/rollback-server.ts.

// Recovery of a run that died is lib/ops/rollback-reconcile.ts (staging copies, the stopped app) together
// with the reconcile of each operation it uses (swap, restore, release switch).

/** The sequence's own journal steps (the swap, restore and switch write theirs). */
export const rollbackSteps = defineSteps({
  staging: ["rollback:staging", z.object({ live: dbNameField, staging: dbNameField, source: z.enum(["dump", "clone"]), from: z.string() })],
  dropStaging: ["rollback:drop_staging", z.object({ live: dbNameField, staging: dbNameField })],
  stop: ["rollback:stop", z.object({ live: dbNameField, release: z.string().nullable(), stops: z.boolean() })],
  start: ["rollback:start", z.object({ live: dbNameField })],
  health: ["rollback:health", z.object({ live: dbNameField })],
});

// ─── running it ───────────────────────────────────────────────────────────────────────────────────────────

export type DatabaseSource =
  /** pg_restore (or psql for a plain dump) into a new staging database. */
  | { source: "dump"; file: string; sha256: string | null; format: DumpFormat; pgRestore: string; psql: string; jobs?: number; staging: string; preRollbackName: string; fidelity?: FidelityPlan | null }
  /** CREATE DATABASE staging TEMPLATE clone: the clone stays a backup. */
  | { source: "clone"; cloneName: string; strategy: "file_copy" | "wal_log"; supportsStrategy: boolean; staging: string; preRollbackName: string; fidelity?: FidelityPlan | null }
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
  stagingCheck?: { tables: number; rows: number; fidelity?: { compared: boolean; differences: FidelityDifference[] } };
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
      if (dbPart.fidelity?.blockers.length) throw new OpError("not_restorable_here", `${dbPart.fidelity.blockers.join(" ")} Nothing was changed.`);
      await buildStaging(input, dbPart);
      if (dbPart.fidelity) await giveOwnership(target, dbPart.fidelity, dbPart.staging, ctx);
      await checkStaging(input, dbPart.staging, dbPart.fidelity ?? null);
      if (dbPart.fidelity) {
        const plan = dbPart.fidelity;
        ctx.phase("applying database properties");
        await withMaintenance(target, (sql) => giveIdentity(sql, plan, dbPart.staging, ctx));
      }
      if (dbPart.source === "dump") await flushRestore(target, ctx);
    } else if (dbPart?.source === "existing") {
      await assertExists(target, dbPart.name);
    }
  } catch (e) {
    await cleanupBeforeSwap(input, e);
    throw e;
  }

  // 2. Stop the app.
  try {
    await rollbackSteps.stop(ctx, { live, release: input.release?.name ?? null, stops: !!app.stopCommand?.length });
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
      state.swap = await swapDatabases({ target, live, staging, preRollbackName: dbPart.preRollbackName, terminateTimeoutMs: input.terminateTimeoutMs, ctx });
      state.swapped = true;
    } catch (e) {
      await cleanupBeforeSwap(input, e);
      throw e;
    }
  }

  // 4. Switch `current`. From here on nothing is reverted automatically: undo is.
  let failure: OpError | undefined;
  if (input.release) {
    try {
      const { deployRoot } = app;
      if (!deployRoot) throw new OpError("no_deploy_root", `${app.slug} has no deploy root, so its release cannot be switched.`);
      await releaseSteps.switch(ctx, { from: await readCurrentRelease(deployRoot), to: input.release.name, deployRoot });
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
      await rollbackSteps.start(ctx, { live });
      ctx.phase("starting the app");
      await startApp(app, ctx);
      state.appStarted = true;
    } catch (e) {
      failure ??= afterSwapFailure(e, "starting the app", state);
    }
  }
  if (failure) throw failure;

  // 6. Health.
  await rollbackSteps.health(ctx, { live });
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

  await rollbackSteps.staging(ctx, { live, staging: part.staging, source: part.source, from: part.source === "dump" ? part.file : part.cloneName });
  state.stagingCreated = true;
  if (part.source === "dump") {
    ctx.phase("restoring into staging");
    const r = await restoreDumpToNewDatabase({
      target,
      pgRestore: part.pgRestore,
      psql: part.psql,
      file: part.file,
      sha256: part.sha256,
      format: part.format,
      newDb: part.staging,
      ctx,
      jobs: part.jobs,
      identity: part.fidelity?.apply ?? null,
      keepAcls: part.fidelity?.keep.acls,
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
 * Every table of staging readable in full, with row counts; an empty copy of a non-empty database is
 * refused. With a fingerprint recorded at backup time, staging must match it (lib/ops/restore-fidelity.ts).
 */
async function checkStaging(input: ExecuteRollbackInput, staging: string, fidelity: FidelityPlan | null): Promise<void> {
  const { target, ctx, state } = input;
  ctx.phase("checking staging");
  let print = await fingerprintDatabase(target, staging, { rows: true });
  if (fidelity && (await repairTriggers(target, fidelity, staging, print, ctx)).length) print = await fingerprintDatabase(target, staging, { rows: true });
  const tables = Object.entries(print.rows ?? {}).map(([table, rows]) => ({ table, rows }));
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
  if (fidelity) {
    ctx.phase("comparing with the backup's fingerprint");
    const differences = checkFidelity(fidelity, print, ctx, staging);
    state.stagingCheck.fidelity = { compared: !!fidelity.fingerprint, differences };
  }
}

/**
 * A restore leaves the new database's pages dirty; the server writes them out at its next checkpoint, and a
 * checkpoint running during the swap makes the swap's commits (each a WAL flush) wait behind it — measured at
 * 1.7 GB: a commit inside the PgBouncer pause took 204 ms instead of 20–40. So they are written now, while
 * the app still runs. CHECKPOINT needs a superuser or pg_checkpoint (PostgreSQL 15+); without it, skipped.
 */
async function flushRestore(target: TargetDb, ctx: OpContext): Promise<void> {
  ctx.phase("writing the restored database to disk");
  await withMaintenance(target, (sql) => sql`CHECKPOINT`).catch((e: { code?: string; message?: string }) =>
    ctx.log(`CHECKPOINT skipped (${e.code === "42501" ? "the role may not run it: grant pg_checkpoint to shorten the swap" : e.message}); the swap may wait for the server writing the restore`),
  );
}

/** Before the swap: drop the staging database this run made, start the app again if it was stopped. `current` is untouched. */
async function cleanupBeforeSwap(input: ExecuteRollbackInput, cause: unknown): Promise<void> {
  const { target, ctx, state } = input;
  const part = input.database;
  ctx.log(`failed before the swap (${cause instanceof Error ? cause.message : String(cause)}); putting things back`);
  if (part && part.source !== "existing" && state.stagingCreated && !state.swapped) {
    try {
      await rollbackSteps.dropStaging(ctx, { live: target.database, staging: part.staging });
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
