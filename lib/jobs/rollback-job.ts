import fs from "node:fs/promises";
import os from "node:os";
import type { AppView } from "@/lib/db/queries/apps";
import { getAppTarget } from "@/lib/db/queries/apps";
import {
  finishBackup,
  getBackup,
  getBackupByName,
  getDefaultRollbackBackup,
  insertBackup,
  lastSwapAt,
  markBackupDeleted,
  nameTaken,
  type BackupView,
} from "@/lib/db/queries/backups";
import { getJob, getLatestChangeJob, getRunningJob, setJobResult } from "@/lib/db/queries/jobs";
import { env } from "@/lib/env";
import { preRollbackDbName, stagingDbName } from "@/lib/ops/backup-names";
import { OpError } from "@/lib/ops/errors";
import { resolveInside } from "@/lib/ops/paths";
import { assertSwitchable, listReleases, readCurrentRelease } from "@/lib/ops/releases";
import {
  executeRollback,
  localDataDirectory,
  newRollbackState,
  planRollback,
  readLiveStats,
  type DatabaseSource,
  type RollbackKind,
  type RollbackPlan,
  type RollbackState,
} from "@/lib/ops/rollback";
import { captureDbStats, databaseSizes } from "@/lib/ops/server-backups";
import { probeServer } from "@/lib/ops/server-info";
import { connectTarget, MAINTENANCE_DB, type TargetDb } from "@/lib/ops/target";
import { tryLockApp } from "./lock";
import { startJob, type JobContext, type JobOutcome } from "./runner";

// Rollback, restore, release switch and undo as jobs. Everything that can be checked without changing
// anything is checked before the job starts (a bad release, a backup of another app, no deploy root):
// that is an answer with what to do, not a failed job. The job re-checks what may have changed meanwhile.

export interface RollbackRequest {
  app: AppView;
  /** Default: the newest complete release older than current. */
  targetRelease?: string;
  restoreDatabase: boolean;
  /** Default: see getDefaultRollbackBackup in lib/db/queries/backups.ts. */
  backupId?: number;
  actor: string;
}

export interface RestoreRequest {
  app: AppView;
  backupId: number;
  actor: string;
}

export interface SwitchReleaseRequest {
  app: AppView;
  release: string;
  actor: string;
}

export interface UndoRequest {
  app: AppView;
  jobId: number;
  actor: string;
}

export type PreviewRequest =
  | ({ kind: "rollback" } & Omit<RollbackRequest, "actor">)
  | ({ kind: "restore" } & Omit<RestoreRequest, "actor">)
  | ({ kind: "switch_release" } & Omit<SwitchReleaseRequest, "actor">)
  | ({ kind: "undo" } & Omit<UndoRequest, "actor">);

/** What a restore, rollback, switch or undo job records in job.result (also when it fails): what undo needs. */
export interface RollbackJobResult {
  [key: string]: unknown;
  kind: RollbackKind;
  /** Something the app uses changed (database swapped or `current` switched): the job can be undone. */
  changed: boolean;
  swapped: boolean;
  switched: boolean;
  live: string;
  /** The staging database that became live (or, for undo, the pre-rollback database put back). */
  staging: string | null;
  /** Where the database that was live before is kept (a pinned pre-rollback backup). */
  preRollbackDb: string | null;
  preRollbackBackupId: number | null;
  /** `current` before and after. */
  previousRelease: string | null;
  release: string | null;
  restoredFrom: { backupId: number; name: string; method: "dump" | "clone" } | null;
  undoOf: number | null;
  stagingCheck: RollbackState["stagingCheck"] | null;
  health: RollbackState["health"] | null;
  lockedOutMs: number | null;
  undo: { available: boolean; hint: string };
}

export interface RollbackPreview {
  plan: RollbackPlan;
  currentRelease: string | null;
  targetRelease: string | null;
  backup: Pick<BackupView, "id" | "name" | "method" | "kind" | "createdAt" | "release" | "forRelease" | "sizeBytes"> | null;
}

interface Resolved {
  kind: RollbackKind;
  app: AppView;
  current: string | null;
  /** The release to switch to; null when the code does not change. */
  release: string | null;
  allowUnmarked: boolean;
  backup: BackupView | null;
  /** Dump backups: the file, resolved inside the backups directory. */
  backupFile: string | null;
  undo: { jobId: number; putBack: string | null; putBackBackupId: number | null } | null;
}

// ─── starting ─────────────────────────────────────────────────────────────────────────────────────────────

export async function startRollback(req: RollbackRequest) {
  const r = await resolveRollback(req);
  return startChange(r, req.actor, { targetRelease: r.release, restoreDatabase: req.restoreDatabase, backupId: r.backup?.id ?? null });
}

/** The database only, from one backup; `current` is not touched. */
export async function startRestore(req: RestoreRequest) {
  const r = await resolveRestore(req);
  return startChange(r, req.actor, { backupId: r.backup!.id, backup: r.backup!.name });
}

/** The code only: `current` to any complete release (roll forward or back). */
export async function startSwitchRelease(req: SwitchReleaseRequest) {
  const r = await resolveSwitch(req);
  return startChange(r, req.actor, { release: r.release });
}

/** Puts back the database and the release a restore/rollback/switch/undo job replaced. Itself undoable. */
export async function startUndo(req: UndoRequest) {
  const r = await resolveUndo(req);
  return startChange(r, req.actor, { undoOf: req.jobId, release: r.release, putBack: r.undo?.putBack ?? null });
}

/** The plan for the dialog and the CLI: resolves defaults and validates like the start functions; changes nothing. */
export async function previewRollback(req: PreviewRequest): Promise<RollbackPreview> {
  const r =
    req.kind === "rollback"
      ? await resolveRollback(req)
      : req.kind === "restore"
        ? await resolveRestore(req)
        : req.kind === "switch_release"
          ? await resolveSwitch(req)
          : await resolveUndo(req);
  let liveNow = null;
  let liveSize: number | null = null;
  let swappedAt: Date | null = null;
  if (r.backup) {
    const target = await getAppTarget(r.app.id);
    liveNow = await readLiveStats(target).catch(() => null);
    liveSize = (await databaseSizes(target, [target.database]).catch(() => new Map<string, number>())).get(target.database) ?? null;
    swappedAt = await lastSwapAt(r.app.id);
  }
  const plan = planRollback({
    kind: r.kind,
    app: r.app,
    currentRelease: r.current,
    targetRelease: r.release,
    backup: r.backup,
    undo: r.undo ? { jobId: r.undo.jobId, putBack: r.undo.putBack } : null,
    liveNow,
    lastSwapAt: swappedAt,
    liveSizeBytes: liveSize,
    now: new Date(),
  });
  const b = r.backup;
  return {
    plan,
    currentRelease: r.current,
    targetRelease: r.release,
    backup: b ? { id: b.id, name: b.name, method: b.method, kind: b.kind, createdAt: b.createdAt, release: b.release, forRelease: b.forRelease, sizeBytes: b.sizeBytes } : null,
  };
}

// ─── validation (before any job) ──────────────────────────────────────────────────────────────────────────

function requireDeployRoot(app: AppView): string {
  if (!app.deployRoot) {
    throw new OpError(
      "no_deploy_root",
      `${app.slug} has no deploy root, so Lifeboat cannot see or switch its releases. Set it on the app's settings page (the directory holding releases/ and current).`,
    );
  }
  return app.deployRoot;
}

async function resolveRollback(req: Omit<RollbackRequest, "actor">): Promise<Resolved> {
  const { app } = req;
  const root = requireDeployRoot(app);
  const releases = await listReleases(root);
  const current = await readCurrentRelease(root);
  if (!current) throw new OpError("no_current", `${root}/current does not point at a release. Use "Switch to this release" to pick one.`);
  let target = req.targetRelease;
  if (!target) {
    const i = releases.findIndex((r) => r.name === current);
    target = (i >= 0 ? releases.slice(i + 1) : releases).find((r) => r.complete && r.name !== current)?.name;
    if (!target) throw new OpError("no_previous_release", `There is no complete release older than ${current} to roll back to.`);
  }
  if (target === current) throw new OpError("already_current", `${target} is already the current release. To restore only the database, use "Restore database" on a backup.`);
  await assertSwitchable(root, target);
  let backup: BackupView | null = null;
  let backupFile: string | null = null;
  if (req.restoreDatabase) {
    if (req.backupId !== undefined) {
      backup = await requireRestorableBackup(app, req.backupId);
    } else {
      const idx = releases.findIndex((r) => r.name === target);
      const successor = idx > 0 ? releases[idx - 1]!.name : null;
      backup = (await getDefaultRollbackBackup(app.id, { successorRelease: successor, targetRelease: target })) ?? null;
      if (!backup) {
        throw new OpError(
          "no_backup",
          `No backup of ${app.slug} was taken for release ${successor ?? "—"} or while ${target} was current. Pick a backup to restore, or roll back the code only.`,
        );
      }
      backup = await requireRestorableBackup(app, backup.id);
    }
    backupFile = await backupFilePath(app, backup);
  }
  return { kind: "rollback", app, current, release: target, allowUnmarked: false, backup, backupFile, undo: null };
}

async function resolveRestore(req: Omit<RestoreRequest, "actor">): Promise<Resolved> {
  const { app } = req;
  const backup = await requireRestorableBackup(app, req.backupId);
  const current = app.deployRoot ? await readCurrentRelease(app.deployRoot) : null;
  return { kind: "restore", app, current, release: null, allowUnmarked: false, backup, backupFile: await backupFilePath(app, backup), undo: null };
}

async function resolveSwitch(req: Omit<SwitchReleaseRequest, "actor">): Promise<Resolved> {
  const { app } = req;
  const root = requireDeployRoot(app);
  const current = await readCurrentRelease(root);
  if (req.release === current) throw new OpError("already_current", `${req.release} is already the current release.`);
  await assertSwitchable(root, req.release);
  return { kind: "switch_release", app, current, release: req.release, allowUnmarked: false, backup: null, backupFile: null, undo: null };
}

async function resolveUndo(req: Omit<UndoRequest, "actor">): Promise<Resolved> {
  const { app, jobId } = req;
  const job = await getJob(jobId, app.id);
  if (!job || !["restore", "rollback", "switch_release", "undo"].includes(job.type)) {
    throw new OpError("not_found", `Job #${jobId} is not a restore, rollback, release switch or undo of ${app.slug}.`);
  }
  if (job.status === "running") throw new OpError("running", `Job #${jobId} is still running; wait for it to end.`);
  const res = job.result as Partial<RollbackJobResult> | null;
  if (!res?.changed) throw new OpError("nothing_to_undo", `Job #${jobId} changed nothing (${job.status}); there is nothing to undo.`);
  const latest = await getLatestChangeJob(app.id);
  if (latest && latest.id !== jobId) {
    throw new OpError(
      "not_latest",
      `Job #${latest.id} (${latest.type}) changed ${app.slug} after job #${jobId}. Only the latest change can be undone: undo #${latest.id} first.`,
    );
  }
  const current = app.deployRoot ? await readCurrentRelease(app.deployRoot) : null;
  let release: string | null = null;
  if (res.switched) {
    const root = requireDeployRoot(app);
    if (current !== res.release) {
      throw new OpError(
        "state_changed",
        `current now points at ${current ?? "nothing"}, not ${res.release} as job #${jobId} left it: something was deployed since. ` +
          `Undo would also revert that; use "Switch to this release" instead.`,
      );
    }
    if (!res.previousRelease) throw new OpError("nothing_to_undo", `Job #${jobId} does not say which release was current before it.`);
    // It was current until this job switched away from it, so it is accepted without the completeness marker.
    await assertSwitchable(root, res.previousRelease, { allowUnmarked: true });
    release = res.previousRelease;
  }
  let putBack: string | null = null;
  let putBackBackupId: number | null = null;
  if (res.swapped) {
    if (!res.preRollbackDb) throw new OpError("nothing_to_undo", `Job #${jobId} does not say where the previous database was kept.`);
    const target = await getAppTarget(app.id);
    if (!(await databaseExists(target, res.preRollbackDb))) {
      throw new OpError("db_missing", `The previous database ${res.preRollbackDb} no longer exists on the server (deleted since?), so the database cannot be put back.`);
    }
    putBack = res.preRollbackDb;
    putBackBackupId = (await getBackupByName(app.id, "clone", putBack))?.id ?? res.preRollbackBackupId ?? null;
  }
  return { kind: "undo", app, current, release, allowUnmarked: true, backup: null, backupFile: null, undo: { jobId, putBack, putBackBackupId } };
}

async function requireRestorableBackup(app: AppView, backupId: number): Promise<BackupView> {
  const backup = await getBackup(app.id, backupId);
  if (!backup) throw new OpError("not_found", `Backup #${backupId} is not a backup of ${app.slug}. Pick one from the app's backups list.`);
  if (backup.status !== "ok") throw new OpError("not_restorable", `${backup.name} is ${backup.status}; only completed backups can be restored.`);
  if (backup.method === "clone") {
    const target = await getAppTarget(app.id);
    if (backup.name === target.database) throw new OpError("not_restorable", `${backup.name} is the live database itself.`);
    if (!(await databaseExists(target, backup.name))) {
      throw new OpError("db_missing", `The clone ${backup.name} no longer exists on the server. Pick another backup (the list refreshes in the background).`);
    }
  }
  return backup;
}

async function backupFilePath(app: AppView, backup: BackupView): Promise<string | null> {
  if (backup.method !== "dump") return null;
  const file = await resolveInside(app.backupsDir, backup.name, "backup file");
  await fs.access(file).catch(() => {
    throw new OpError("missing_file", `The backup file ${file} is missing. Pick another backup.`);
  });
  return file;
}

async function databaseExists(target: TargetDb, name: string): Promise<boolean> {
  const sql = connectTarget(target, MAINTENANCE_DB);
  try {
    const [row] = await sql<{ present: boolean }[]>`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${name}) AS present`;
    return row!.present;
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/**
 * A job marked running whose process is gone (its app's lock is free) left things half-done: never start a
 * new change on top of that; recovery first. (A job that really runs holds the lock: startJob says busy.)
 */
async function assertNothingToRecover(app: AppView): Promise<void> {
  const running = await getRunningJob(app.id);
  if (!running) return;
  const lock = await tryLockApp(app.id);
  if (!lock) return;
  await lock.release();
  throw new OpError(
    "needs_recovery",
    `Job #${running.id} (${running.type}) on ${app.slug} was interrupted and has not been reconciled yet. ` +
      `Press "Recover" on the app page (or run: npm run lifeboat -- recover) first; it puts things in order and says what it did.`,
    { jobId: running.id },
  );
}

// ─── running ──────────────────────────────────────────────────────────────────────────────────────────────

async function startChange(r: Resolved, actor: string, params: Record<string, unknown>): Promise<{ jobId: number; done: Promise<JobOutcome> }> {
  await assertNothingToRecover(r.app);
  const holder: { result?: RollbackJobResult } = {};
  const { jobId, done } = await startJob({ appId: r.app.id, appSlug: r.app.slug, type: r.kind, params, actor }, (ctx) => runChange(ctx, r, actor, holder));
  // The runner records a result only for jobs that succeed; a failed rollback must still say what undo needs.
  const recorded = done.then(async (outcome): Promise<JobOutcome> => {
    if (outcome.status === "failed" && holder.result) {
      await setJobResult(jobId, holder.result).catch(() => {});
      return { ...outcome, result: holder.result };
    }
    return outcome;
  });
  return { jobId, done: recorded };
}

async function runChange(ctx: JobContext, r: Resolved, actor: string, holder: { result?: RollbackJobResult }): Promise<RollbackJobResult> {
  const { app } = r;
  ctx.phase("connecting");
  const target = await getAppTarget(app.id);
  const live = target.database;
  const state = newRollbackState();
  const result: RollbackJobResult = {
    kind: r.kind,
    changed: false,
    swapped: false,
    switched: false,
    live,
    staging: null,
    preRollbackDb: null,
    preRollbackBackupId: null,
    previousRelease: r.current,
    release: r.current,
    restoredFrom: r.backup ? { backupId: r.backup.id, name: r.backup.name, method: r.backup.method } : null,
    undoOf: r.undo?.jobId ?? null,
    stagingCheck: null,
    health: null,
    lockedOutMs: null,
    undo: { available: false, hint: "" },
  };
  holder.result = result;

  const sync = () => {
    result.swapped = state.swapped;
    result.switched = state.switched;
    result.changed = state.swapped || state.switched;
    if (state.switched) {
      result.previousRelease = state.previousRelease;
      result.release = r.release;
    }
    if (!state.swapped) {
      result.preRollbackDb = null;
      result.preRollbackBackupId = null;
    }
    result.stagingCheck = state.stagingCheck ?? null;
    result.health = state.health ?? null;
    result.lockedOutMs = state.swap?.lockedOutMs ?? null;
    result.undo = result.changed
      ? { available: true, hint: `Undo puts back ${[state.swapped ? `the database now kept as ${result.preRollbackDb}` : null, state.switched ? `release ${state.previousRelease}` : null].filter(Boolean).join(" and ")}.` }
      : { available: false, hint: "Nothing was changed." };
  };

  try {
    // Re-check under the lock what may have changed since the request was validated.
    if (app.deployRoot && (r.release || r.kind === "undo")) {
      const now = await readCurrentRelease(app.deployRoot);
      if (now !== r.current) throw new OpError("state_changed", `current changed from ${r.current ?? "nothing"} to ${now ?? "nothing"} while this job was waiting; nothing was done. Look again and retry.`);
    }
    const server = await probeServer(target, env().PG_BIN);
    let database: DatabaseSource | null = null;
    if (r.backup || r.undo?.putBack) {
      const now = new Date();
      const taken = async (n: string) => (await nameTaken(app.id, "clone", n)) || (await databaseExists(target, n));
      const pre = await preRollbackDbName(live, now, taken);
      result.preRollbackDb = pre;
      if (r.undo?.putBack) {
        database = { source: "existing", name: r.undo.putBack, preRollbackName: pre };
        result.staging = r.undo.putBack;
      } else if (r.backup!.method === "dump") {
        const staging = await stagingDbName(live, now, taken);
        result.staging = staging;
        const jobs = r.backup!.format === "custom" && server.dbSizeBytes > 256 * 1024 * 1024 ? Math.min(4, Math.max(1, os.cpus().length)) : 1;
        database = {
          source: "dump",
          file: r.backupFile!,
          format: r.backup!.format ?? "custom",
          pgRestore: server.pgRestorePath,
          psql: server.psqlPath,
          jobs,
          staging,
          preRollbackName: pre,
        };
      } else {
        const staging = await stagingDbName(live, now, taken);
        result.staging = staging;
        database = {
          source: "clone",
          cloneName: r.backup!.name,
          strategy: app.cloneStrategy,
          supportsStrategy: server.supportsFileCopy,
          staging,
          preRollbackName: pre,
        };
      }
      ctx.log(
        r.undo?.putBack
          ? `putting back ${r.undo.putBack} as ${live}; ${live} will be kept as ${pre}`
          : `restoring ${r.backup!.name} into ${result.staging}; ${live} will be kept as ${pre}`,
      );
    }

    let preBackupId: number | null = null;
    await executeRollback({
      target,
      app,
      database,
      release: r.release ? { name: r.release, allowUnmarked: r.allowUnmarked } : null,
      ctx,
      state,
      dataDir: database && database.source !== "existing" ? await localDataDirectory(target) : null,
      hooks: {
        beforeSwap: async () => {
          // Recorded before the swap, as running: a crash after the rename still leaves a row recovery can finish.
          const stats = await captureDbStats(target, live).catch(() => null);
          preBackupId = await insertBackup({
            appId: app.id,
            name: result.preRollbackDb!,
            method: "clone",
            kind: "pre_rollback",
            format: null,
            label: null,
            createdBy: actor,
            release: r.current,
            jobId: ctx.jobId,
            stats,
            pinned: true,
          });
          result.preRollbackBackupId = preBackupId;
        },
        afterSwap: async () => {
          const sizes = await databaseSizes(target, [result.preRollbackDb!]).catch(() => new Map<string, number>());
          await finishBackup(preBackupId!, { status: "ok", sizeBytes: sizes.get(result.preRollbackDb!), verifiedAt: new Date() });
          if (r.undo?.putBack && r.undo.putBackBackupId) {
            // The pre-rollback database is the live one again: it is no longer a backup.
            await markBackupDeleted(app.id, r.undo.putBackBackupId);
          }
          ctx.log(`${live} as it was is kept as ${result.preRollbackDb} (pinned pre-rollback backup)`);
        },
        swapFailed: async () => {
          if (preBackupId !== null) {
            await finishBackup(preBackupId, { status: "failed", error: "The swap did not happen; this database was never created." });
            await markBackupDeleted(app.id, preBackupId);
          }
        },
      },
    });
    sync();
    return result;
  } catch (e) {
    sync();
    throw e;
  }
}
