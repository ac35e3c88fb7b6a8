import os from "node:os";
import { getAppById, getAppTarget } from "@/lib/db/queries/apps";
import { finishBackup, insertBackup, markBackupDeleted, nameTaken } from "@/lib/db/queries/backups";
import { setJobResult } from "@/lib/db/queries/jobs";
import { env } from "@/lib/env";
import { preRollbackDbName, stagingDbName } from "@/lib/ops/backup-names";
import { OpError } from "@/lib/ops/errors";
import { readCurrentRelease } from "@/lib/ops/releases";
import { executeRollback, newRollbackState, type DatabaseSource, type RollbackState } from "@/lib/ops/rollback";
import type { RollbackKind } from "@/lib/ops/rollback-plan";
import { localDataDirectory } from "@/lib/ops/rollback-server";
import { captureDbStats, databaseSizes } from "@/lib/ops/server-backups";
import { probeServer } from "@/lib/ops/server-info";
import { assertNothingToRecover, databaseExists, resolveRestore, resolveRollback, resolveSwitch, resolveUndo, type Resolved } from "./rollback-resolve";
import { startJob, type JobBody, type JobContext, type StartedJob } from "./runner";

// Running a resolved rollback, restore, release switch or undo as a job (lib/ops/rollback.ts does the work),
// and what the job records in job.result for undo and recovery. See lib/jobs/rollback-job.ts.

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

// ─── running ──────────────────────────────────────────────────────────────────────────────────────────────

export async function startChange(r: Resolved, actor: string, params: Record<string, unknown>): Promise<StartedJob> {
  await assertNothingToRecover(r.app);
  return startJob({ appId: r.app.id, appSlug: r.app.slug, type: r.kind, params: { ...params, request: requestOf(r) }, actor });
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
  const holder: { result?: RollbackJobResult } = {};
  try {
    return await runChange(ctx, r, job.actor, holder);
  } catch (e) {
    // A failed rollback must still say what undo needs: the runner records no result for failures.
    if (holder.result) await setJobResult(job.id, holder.result).catch(() => {});
    throw e;
  }
};

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
