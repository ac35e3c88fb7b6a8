import { getAppById, getAppTarget, setAppDbSize } from "@/lib/db/queries/apps";
import { finishBackup, insertBackup, markBackupDeleted, nameTaken } from "@/lib/db/queries/backups";
import { getJob, setJobResult } from "@/lib/db/queries/jobs";
import { env } from "@/lib/env";
import { preRollbackDbName, stagingDbName } from "@/lib/ops/backup-names";
import { databaseExists, databaseSizes } from "@/lib/ops/catalog";
import { buildChangeRecord, parseChangeRecord, type ChangeFacts, type ChangeRecord } from "@/lib/ops/change-record";
import { captureIdentity, fingerprintDatabase } from "@/lib/ops/backup-identity";
import { isOpError, OpError } from "@/lib/ops/errors";
import { storedFingerprint } from "@/lib/ops/fidelity";
import { recordReleaseEvents } from "@/lib/db/queries/release-events";
import { emitAppEvent } from "@/lib/events/emit";
import { changeEvents } from "./release-history";
import { readCurrentRelease } from "@/lib/ops/releases";
import { restoreJobsFor } from "@/lib/ops/restore-jobs";
import { executeRollback, newRollbackState, type DatabaseSource, type RollbackState } from "@/lib/ops/rollback";
import { localDataDirectory } from "@/lib/ops/rollback-server";
import { captureDbStats } from "@/lib/ops/server-backups";
import { probeServer, type ServerInfo } from "@/lib/ops/server-info";
import type { TargetDb } from "@/lib/ops/target";
import { recordIntegrityFailure } from "./backup-integrity";
import { assertNothingToRecover, resolveRestore, resolveRollback, resolveSwitch, resolveUndo, type Resolved } from "./rollback-resolve";
import { backupFidelity } from "./restore-plan";
import { startJob, type JobBody, type JobContext, type StartedJob } from "./runner";

// Running a resolved rollback, restore, release switch or undo as a job (lib/ops/rollback.ts does the work).
// What it changed is one change record (lib/ops/change-record.ts), built once when the run ends — also when
// it fails, since undo needs it then most — and stored as the job's result. See lib/jobs/rollback-job.ts.

export async function startChange(r: Resolved, actor: string, params: Record<string, unknown>): Promise<StartedJob & { summary: string }> {
  await assertNothingToRecover(r.app);
  if (r.backup) {
    // What the role may not restore is an answer now, with the fix, not a failed job.
    const { blockers } = await backupFidelity(r.app.id, r.backup, await getAppTarget(r.app.id));
    if (blockers.length) throw new OpError("not_restorable_here", `${blockers.join(" ")} Nothing was changed.`);
  }
  // `from` and the backup's name: the audit log shows "r3 → r2, database from shop_backup_…", not ids.
  const named = { ...params, from: r.current, ...(r.backup ? { backup: r.backup.name } : {}) };
  const started = await startJob({ appId: r.app.id, appSlug: r.app.slug, type: r.kind, params: { ...named, request: requestOf(r) }, actor });
  return { ...started, summary: changeSummary(r) };
}

/** One line for the audit entry of the action that started the change. */
export function changeSummary(r: Resolved): string {
  const code = r.release ? `${r.current ?? "nothing"} → ${r.release}` : null;
  const db = r.backup ? `database from ${r.backup.name}` : r.undo?.putBack ? `database ${r.undo.putBack} put back` : null;
  const what = [code, db].filter(Boolean).join(", ") || "nothing to change";
  return r.kind === "undo" ? `undo of job #${r.undo?.jobId}: ${what}` : what;
}

/** What the worker re-resolves (and re-checks) when it runs the job: the request with its defaults filled in. */
type ChangeRequest =
  | { kind: "rollback"; targetRelease: string | null; restoreDatabase: boolean; backupId: number | null }
  | { kind: "restore"; backupId: number }
  | { kind: "switch_release"; release: string }
  | { kind: "undo"; jobId: number };

function requestOf(r: Resolved): ChangeRequest {
  if (r.kind === "rollback") return { kind: "rollback", targetRelease: r.release, restoreDatabase: !!r.backup, backupId: r.backup?.id ?? null };
  if (r.kind === "restore") return { kind: "restore", backupId: r.backup!.id };
  if (r.kind === "switch_release") return { kind: "switch_release", release: r.release! };
  return { kind: "undo", jobId: r.undo!.jobId };
}

/** The worker's body for restore, rollback, switch_release and undo jobs. */
export const runChangeJob: JobBody = async (ctx, job) => {
  const app = await getAppById(job.appId);
  if (!app) throw new OpError("not_found", `App #${job.appId} no longer exists.`);
  const q = job.params.request as ChangeRequest;
  const r =
    q.kind === "rollback"
      ? await resolveRollback({ app, targetRelease: q.targetRelease ?? undefined, restoreDatabase: q.restoreDatabase, backupId: q.backupId ?? undefined })
      : q.kind === "restore"
        ? await resolveRestore({ app, backupId: q.backupId })
        : q.kind === "switch_release"
          ? await resolveSwitch({ app, release: q.release })
          : await resolveUndo({ app, jobId: q.jobId });
  // A failed change stores its own record (what undo needs) before it fails: see runChange.
  return runChange(ctx, r, job.actor);
};

/**
 * `opts.announce: false` — a guarded release runs its switch here and announces release.* itself: the
 * rollback.* events would page whoever listens for rollbacks on every deploy. A failed health check is
 * announced either way.
 */
export async function runChange(ctx: JobContext, r: Resolved, actor: string, opts: { announce?: boolean } = {}): Promise<ChangeRecord> {
  const { app } = r;
  const announce = (what: "started" | "finished" | "failed" | "health", e?: unknown) =>
    opts.announce === false && what !== "health" ? Promise.resolve() : announceChange(ctx, r, what, e);
  await announce("started");
  ctx.phase("connecting");
  const target = await getAppTarget(app.id);
  const live = target.database;
  const state = newRollbackState();
  const facts: ChangeFacts = {
    kind: r.kind,
    live,
    staging: null,
    preRollbackDb: null,
    preRollbackBackupId: null,
    startRelease: r.current,
    restoredFrom: r.backup ? { backupId: r.backup.id, name: r.backup.name, method: r.backup.method } : null,
    undoOf: r.undo?.jobId ?? null,
  };
  const record = () =>
    buildChangeRecord(facts, {
      swapped: state.swapped,
      switched: state.switched,
      previousRelease: state.previousRelease,
      release: state.switched ? r.release : null,
      stagingCheck: state.stagingCheck ?? null,
      health: state.health ?? null,
      lockedOutMs: state.swap?.lockedOutMs ?? null,
    });

  try {
    // Re-check under the lock what may have changed since the request was validated.
    if (app.deployRoot && (r.release || r.kind === "undo")) {
      const now = await readCurrentRelease(app.deployRoot);
      if (now !== r.current) throw new OpError("state_changed", `current changed from ${r.current ?? "nothing"} to ${now ?? "nothing"} while this job was waiting; nothing was done. Look again and retry.`);
    }
    const server = await probeServer(target, env().PG_BIN);
    const database = await planDatabase(r, target, server, facts);
    if (database) {
      ctx.log(
        r.undo?.putBack
          ? `putting back ${r.undo.putBack} as ${live}; ${live} will be kept as ${facts.preRollbackDb}`
          : `restoring ${r.backup!.name} into ${facts.staging}; ${live} will be kept as ${facts.preRollbackDb}`,
      );
      // Recorded before anything changes, as running: a crash after the swap leaves a row recovery finishes,
      // a run that ends before the swap removes it again (settlePreRollbackBackup).
      facts.preRollbackBackupId = await insertBackup({
        appId: app.id,
        name: facts.preRollbackDb!,
        method: "clone",
        kind: "pre_rollback",
        format: null,
        label: null,
        createdBy: actor,
        release: r.current,
        jobId: ctx.jobId,
        stats: await captureDbStats(target, live).catch(() => null),
        pinned: true,
      });
    }
    await executeRollback({
      target,
      app,
      database,
      release: r.release ? { name: r.release, allowUnmarked: r.allowUnmarked } : null,
      ctx,
      state,
      dataDir: database && database.source !== "existing" ? await localDataDirectory(target) : null,
    });
  } catch (e) {
    await settlePreRollbackBackup(ctx, r, target, facts, state).catch((err: Error) => ctx.log(`could not record the pre-rollback backup: ${err.message}`));
    await setJobResult(ctx.jobId, record()).catch((err: Error) => ctx.log(`could not record what changed: ${err.message}`));
    if (r.backup) await recordIntegrityFailure(e, r.app, r.backup, actor).catch((err: Error) => ctx.log(`could not mark ${r.backup!.name} tampered: ${err.message}`));
    const healthFailed = isOpError(e) && e.code === "health_failed";
    await writeReleaseEvents(ctx, r, record(), healthFailed, actor);
    const thrown = healthFailed ? withPolicy(e as OpError, r) : e;
    if (healthFailed) await announce("health", thrown);
    await announce("failed", thrown);
    throw thrown;
  }
  await writeReleaseEvents(ctx, r, record(), false, actor);
  await announce("finished");
  // Recording the pre-rollback backup must not fail a change that worked: the row stays "running" until
  // recovery or the background refresh sees the database.
  await settlePreRollbackBackup(ctx, r, target, facts, state).catch((e: Error) => ctx.log(`WARNING: could not record the pre-rollback backup: ${e.message}`));
  // Another database is live now: the size the pages show is its size, not the one before.
  if (state.swapped) {
    const size = (await databaseSizes(target, [live]).catch(() => new Map<string, number>())).get(live);
    if (size !== undefined) await setAppDbSize(app.id, size).catch(() => {});
  }
  return record();
}

/** Names the staging and pre-rollback databases (into `facts`) and says where the new live database comes from. */
async function planDatabase(r: Resolved, target: TargetDb, server: ServerInfo, facts: ChangeFacts): Promise<DatabaseSource | null> {
  if (!r.backup && !r.undo?.putBack) return null;
  const live = target.database;
  const now = new Date();
  const taken = async (n: string) => (await nameTaken(r.app.id, "clone", n)) || (await databaseExists(target, n));
  const pre = await preRollbackDbName(live, now, taken);
  facts.preRollbackDb = pre;
  if (r.undo?.putBack) {
    facts.staging = r.undo.putBack;
    return { source: "existing", name: r.undo.putBack, preRollbackName: pre };
  }
  const backup = r.backup!;
  const staging = await stagingDbName(live, now, taken);
  facts.staging = staging;
  const fidelity = await backupFidelity(r.app.id, backup, target);
  if (backup.method === "clone") {
    return { source: "clone", cloneName: backup.name, strategy: r.app.cloneStrategy, supportsStrategy: server.supportsFileCopy, staging, preRollbackName: pre, fidelity };
  }
  const jobs = backup.format === "custom" || backup.format === "directory" ? await restoreJobsFor(r.backupFile!, server.pgRestorePath) : 1;
  return {
    source: "dump",
    file: r.backupFile!,
    sha256: backup.sha256,
    format: backup.format ?? "custom",
    pgRestore: server.pgRestorePath,
    psql: server.psqlPath,
    jobs,
    staging,
    preRollbackName: pre,
    fidelity,
  };
}

/** The pre-rollback backup row: ok once the swap made it a database, else gone again. */
async function settlePreRollbackBackup(ctx: JobContext, r: Resolved, target: TargetDb, facts: ChangeFacts, state: RollbackState): Promise<void> {
  const id = facts.preRollbackBackupId;
  if (id === null) return;
  if (!state.swapped) {
    await finishBackup(id, { status: "failed", error: "The swap did not happen; this database was never created." });
    await markBackupDeleted(r.app.id, id);
    return;
  }
  const sizes = await databaseSizes(target, [facts.preRollbackDb!]).catch(() => new Map<string, number>());
  // Its properties travelled with it through the rename; recorded so that a later copy of it gets them too
  // (the schema without row counts: counting would hold the rollback up by a full scan).
  const identity = await captureIdentity(target, facts.preRollbackDb!).catch(() => null);
  const fingerprint = await fingerprintDatabase(target, facts.preRollbackDb!, { rows: false }).then(storedFingerprint, () => null);
  await finishBackup(id, { status: "ok", sizeBytes: sizes.get(facts.preRollbackDb!), verifiedAt: new Date(), identity, fingerprint });
  // Undo: the pre-rollback database put back is the live one again, so it is no longer a backup.
  if (r.undo?.putBack && r.undo.putBackBackupId) await markBackupDeleted(r.app.id, r.undo.putBackBackupId);
  ctx.log(`${target.database} as it was is kept as ${facts.preRollbackDb} (pinned pre-rollback backup)`);
}

/** The release history this run leaves (lib/jobs/release-history.ts); never fails the job. */
async function writeReleaseEvents(ctx: JobContext, r: Resolved, record: ChangeRecord, healthFailed: boolean, actor: string): Promise<void> {
  const events = changeEvents(r.kind, record, healthFailed, r.current);
  await recordReleaseEvents(r.app.id, events.map((e) => ({ ...e, actor, jobId: ctx.jobId }))).catch((err: Error) => ctx.log(`could not record the release history: ${err.message}`));
}

const CHANGE_WORDS = { rollback: "Rollback", restore: "Restore", switch_release: "Release switch", undo: "Undo" } as const;

/** The app events of a change (notification rules listen to them); emitAppEvent never throws. */
async function announceChange(ctx: JobContext, r: Resolved, what: "started" | "finished" | "failed" | "health", e?: unknown): Promise<void> {
  const head = `${CHANGE_WORDS[r.kind]} of ${r.app.slug} (job #${ctx.jobId}): ${changeSummary(r)}`;
  const why = e instanceof Error ? e.message : e === undefined ? "" : String(e);
  const details = { jobKind: r.kind, release: r.release ?? null, backup: r.backup?.name ?? null, fromRelease: r.current ?? null };
  if (what === "health") return void (await emitAppEvent({ appId: r.app.id, kind: "health.failed", summary: `Health check failed after ${head}. ${why}`, details, jobId: ctx.jobId }));
  const summary = what === "failed" ? `${head} failed: ${why}` : `${head} ${what}.`;
  await emitAppEvent({ appId: r.app.id, kind: `rollback.${what}`, summary, details, jobId: ctx.jobId });
}

/** A failed health check says what happens next: the app's health policy (lib/jobs/health-policy.ts). */
function withPolicy(e: OpError, r: Resolved): OpError {
  if (r.kind === "undo") return new OpError(e.code, `${e.message} This was an undo: it is not undone automatically (no loops); look at the app now.`);
  const next =
    r.app.healthPolicy === "undo"
      ? `Health policy of ${r.app.slug}: undo — an automatic undo follows as its own job (on the app page).`
      : `Health policy of ${r.app.slug}: keep — it stays as it is; the app may be down. Undo it from the app page if needed.`;
  // Under "undo" nobody needs to press Undo: the hint from the failure (lib/ops/rollback.ts) would contradict it.
  const message = r.app.healthPolicy === "undo" ? e.message.replace("; use Undo to put back the previous state.", ".") : e.message;
  return new OpError(e.code, `${message} ${next}`);
}
