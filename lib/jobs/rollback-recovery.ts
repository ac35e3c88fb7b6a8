import { z } from "zod";
import { emitAppEvent } from "@/lib/events/emit";
import { getAppById, getAppTarget } from "@/lib/db/queries/apps";
import { finishBackup, getBackupByName, listBackups, listBackupsOfJob, markBackupDeleted } from "@/lib/db/queries/backups";
import { setJobResult, type JobView } from "@/lib/db/queries/jobs";
import { databaseSizes } from "@/lib/ops/catalog";
import { buildChangeRecord, type ChangeKind } from "@/lib/ops/change-record";
import { unknownSteps, type JournalEntry } from "@/lib/ops/journal";
import { reconcileReleaseSwitch, releaseSteps } from "@/lib/ops/releases";
import { restoreSteps } from "@/lib/ops/restore";
import { rollbackSteps } from "@/lib/ops/rollback";
import { reconcileStaging, reconcileStoppedApp } from "@/lib/ops/rollback-reconcile";
import { reconcileSwap, swapSteps, type SwapReconciliation } from "@/lib/ops/swap";
import type { TargetDb } from "@/lib/ops/target";

// A restore, rollback, release switch or undo whose process died. Each operation reconciles its own steps
// (lib/ops); this calls them in order and records the outcome. The rule: the swap is one transaction, so it
// either happened or not.
//   - Swap committed → finish forward: the restored database is live, the old one is recorded as a pinned
//     pre-rollback backup, `current` is switched to the job's target if it was not yet, the app is started.
//   - Swap not committed (or never reached) → revert: the live database accepts connections again, staging
//     copies this job made are dropped (only when provably that), `current` stays, the app is started again.
//   - Code only → `current` is whatever the atomic rename left; stray temp links are removed.

const paramsSchema = z.object({ undoOf: z.number().int().nullish() });

/** `release`: the change is a guarded release's switch (lib/jobs/release-recovery.ts), announced as release.failed. */
export async function recoverChange(job: JobView, journal: readonly JournalEntry[], log: (line: string) => void, opts: { release?: string } = {}): Promise<string[]> {
  const app = await getAppById(job.appId);
  if (!app) return ["the app no longer exists; nothing to reconcile"];
  const target = await getAppTarget(app.id);
  const kind = job.type as ChangeKind;
  const decisions = unknownSteps(journal, [swapSteps, rollbackSteps, restoreSteps, releaseSteps]);

  // 1. The database: the swap, then the staging copies that did not become live.
  const swap = await reconcileSwap(journal, { target, swappedIn: kind === "undo" ? "put-back" : "restored" });
  decisions.push(...swap.decisions);
  const recorded = new Set((await listBackups(app.id)).filter((b) => b.method === "clone").map((b) => b.name));
  decisions.push(...(await reconcileStaging(journal, { target, recordedBackups: recorded })).decisions);

  // 2. The backup rows the job made or retired.
  const rows = await settleBackupRows(job, app.id, target, swap);
  decisions.push(...rows.decisions);

  // 3. The code: when the database already matches the target release, the switch is finished.
  const wanted = rollbackSteps.read(journal).last("stop")?.release ?? releaseSteps.read(journal).last("switch")?.to ?? null;
  const code = app.deployRoot
    ? await reconcileReleaseSwitch(journal, { deployRoot: app.deployRoot, finishTo: swap.swapped && kind !== "restore" ? wanted : null, allowUnmarked: kind === "undo" })
    : null;
  decisions.push(...(code?.decisions ?? []));

  // 4. The app, if the job had stopped it.
  decisions.push(...(await reconcileStoppedApp(journal, { app, log })).decisions);

  // 5. What undo needs, as for a job that ended by itself.
  const params = paramsSchema.safeParse(job.params);
  const record = buildChangeRecord(
    {
      kind,
      live: target.database,
      staging: swap.names?.staging ?? null,
      preRollbackDb: swap.names?.preRollbackName ?? null,
      preRollbackBackupId: rows.preRollbackBackupId,
      startRelease: code?.current ?? null,
      restoredFrom: null,
      undoOf: params.success ? (params.data.undoOf ?? null) : null,
    },
    { swapped: swap.swapped, switched: code?.switched ?? false, previousRelease: code?.previousRelease ?? null, release: code?.current ?? null, recovered: true },
  );
  await setJobResult(job.id, record);
  if (decisions.length === 0) decisions.push("nothing had been changed yet");
  const outcome = swap.swapped || code?.switched ? "recovery finished the change" : "recovery put things back as they were";
  const what = opts.release !== undefined ? `Release ${opts.release} of ${app.slug}` : `${kind.replace("_", " ")} of ${app.slug}`;
  await emitAppEvent({
    appId: app.id,
    kind: opts.release !== undefined ? "release.failed" : "rollback.failed",
    summary: `${what} (job #${job.id}) was interrupted (its worker died or lost its lease); ${outcome}.`,
    details: { jobKind: opts.release !== undefined ? "release" : kind, recovered: true, swapped: swap.swapped },
    jobId: job.id,
  });
  return [...new Set(decisions)];
}

/** The pre-rollback backup row: ok when the swap made that database, else removed; undo's put-back row retired. */
async function settleBackupRows(job: JobView, appId: number, target: TargetDb, swap: SwapReconciliation) {
  const decisions: string[] = [];
  const pre = swap.swapped ? (swap.names?.preRollbackName ?? null) : null;
  for (const b of await listBackupsOfJob(job.id)) {
    if (b.kind !== "pre_rollback" || b.status !== "running") continue;
    if (pre && b.name === pre) {
      const size = (await databaseSizes(target, [b.name]).catch(() => new Map<string, number>())).get(b.name);
      await finishBackup(b.id, { status: "ok", sizeBytes: size, verifiedAt: new Date() });
      decisions.push(`recorded ${b.name} as a pinned pre-rollback backup`);
    } else {
      await finishBackup(b.id, { status: "failed", error: "The swap did not happen; this database was never created." });
      await markBackupDeleted(appId, b.id);
      decisions.push(`removed the placeholder backup row for ${b.name} (the swap did not happen)`);
    }
  }
  // Undo swaps in the database a pre-rollback backup kept: it is the live one again, no longer a backup.
  const putBack = job.type === "undo" && swap.swapped ? (swap.names?.staging ?? null) : null;
  if (putBack) {
    const row = await getBackupByName(appId, "clone", putBack);
    if (row) {
      await markBackupDeleted(appId, row.id);
      decisions.push(`${putBack} is the live database again, so it is no longer listed as a backup`);
    }
  }
  return { decisions, preRollbackBackupId: pre ? ((await getBackupByName(appId, "clone", pre))?.id ?? null) : null };
}
