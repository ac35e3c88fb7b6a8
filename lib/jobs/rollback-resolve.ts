import fs from "node:fs/promises";
import type { AppView } from "@/lib/db/queries/apps";
import { getAppTarget } from "@/lib/db/queries/apps";
import { getBackup, getBackupByName, getDefaultRollbackBackup, type BackupView } from "@/lib/db/queries/backups";
import { getJob, getLatestChangeJob, getRunningJob } from "@/lib/db/queries/jobs";
import { databaseExists } from "@/lib/ops/catalog";
import { changeJobTypes, parseChangeRecord } from "@/lib/ops/change-record";
import { OpError } from "@/lib/ops/errors";
import { resolveInside } from "@/lib/ops/paths";
import { assertSwitchable, listReleases, readCurrentRelease } from "@/lib/ops/releases";
import { assertNoRestoreBlockers } from "@/lib/ops/restorability";
import { defaultRollbackTarget, type RollbackKind } from "@/lib/ops/rollback-plan";
import { avoidedBy } from "@/lib/ops/release-verdicts";
import { releaseVerdicts } from "@/lib/db/queries/release-events";
import { assertDumpRestorable } from "./backup-integrity";
import { leaseExpired } from "./job-status";

// The requests for rollback, restore, release switch and undo, resolved (defaults filled in) and validated
// before any job starts: everything that can be checked without changing anything (a bad release, a backup
// of another app, no deploy root) is an answer with what to do, not a failed job. See lib/jobs/rollback-job.ts.

export interface RollbackRequest {
  app: AppView;
  /** Default: the newest complete release older than current that is not marked bad and did not last fail its health check. */
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

/** A request with its defaults filled in and checked: what startChange runs and previewRollback plans. */
export interface Resolved {
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

export async function resolveRollback(req: Omit<RollbackRequest, "actor">): Promise<Resolved> {
  const { app } = req;
  const root = requireDeployRoot(app);
  const releases = await listReleases(root);
  const current = await readCurrentRelease(root);
  if (!current) throw new OpError("no_current", `${root}/current does not point at a release. Use "Switch to this release" to pick one.`);
  let target = req.targetRelease;
  if (!target) {
    target = defaultRollbackTarget(releases, current, avoidedBy(await releaseVerdicts(app.id))) ?? undefined;
    if (!target) throw new OpError("no_previous_release", `There is no complete release with a valid name older than ${current} to roll back to.`);
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
      const found = await getDefaultRollbackBackup(app.id, { successorRelease: successor, targetRelease: target });
      if (!found) {
        throw new OpError(
          "no_backup",
          `No backup of ${app.slug} was taken for release ${successor ?? "—"} or while ${target} was current. Pick a backup to restore, or roll back the code only.`,
        );
      }
      // One was taken but cannot be used: its own refusal says why (file missing, changed, beyond this role) and
      // what to do; an older backup is restored only when the operator picks it.
      backup = await requireRestorableBackup(app, found.backup.id);
    }
    backupFile = await backupFilePath(app, backup);
  }
  return { kind: "rollback", app, current, release: target, allowUnmarked: false, backup, backupFile, undo: null };
}

export async function resolveRestore(req: Omit<RestoreRequest, "actor">): Promise<Resolved> {
  const { app } = req;
  const backup = await requireRestorableBackup(app, req.backupId);
  const current = app.deployRoot ? await readCurrentRelease(app.deployRoot) : null;
  return { kind: "restore", app, current, release: null, allowUnmarked: false, backup, backupFile: await backupFilePath(app, backup), undo: null };
}

export async function resolveSwitch(req: Omit<SwitchReleaseRequest, "actor">): Promise<Resolved> {
  const { app } = req;
  const root = requireDeployRoot(app);
  const current = await readCurrentRelease(root);
  if (req.release === current) throw new OpError("already_current", `${req.release} is already the current release.`);
  await assertSwitchable(root, req.release);
  return { kind: "switch_release", app, current, release: req.release, allowUnmarked: false, backup: null, backupFile: null, undo: null };
}

export async function resolveUndo(req: Omit<UndoRequest, "actor">): Promise<Resolved> {
  const { app, jobId } = req;
  const job = await getJob(jobId, app.id);
  if (!job || !(changeJobTypes as readonly string[]).includes(job.type)) {
    throw new OpError("not_found", `Job #${jobId} is not a restore, rollback, release switch or undo of ${app.slug}.`);
  }
  if (job.status === "running") throw new OpError("running", `Job #${jobId} is still running; wait for it to end.`);
  const res = parseChangeRecord(job.result);
  if (job.result !== null && !res) {
    throw new OpError("unreadable_record", `Job #${jobId}'s record of what it changed cannot be read, so it cannot be undone safely. Put things back by hand (see its log).`);
  }
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
  assertDumpRestorable(backup, app.slug);
  assertNoRestoreBlockers(backup);
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

/**
 * A job marked running whose lease has expired (its worker is gone or lost contact) left things half-done: never start a
 * new change on top of that; recovery first. (A job that really runs holds the lock: startJob says busy.)
 */
export async function assertNothingToRecover(app: AppView): Promise<void> {
  const running = await getRunningJob(app.id);
  // A queued job or one whose lease is alive: enqueueing answers "busy" with it.
  if (!running || !leaseExpired(running)) return;
  throw new OpError(
    "needs_recovery",
    `Job #${running.id} (${running.type}) on ${app.slug} was interrupted and has not been reconciled yet. ` +
      `Press "Recover" on the app page (or run: npm run lifeboat -- recover) first; it puts things in order and says what it did.`,
    { jobId: running.id },
  );
}
