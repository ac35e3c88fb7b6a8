import { getAppTarget } from "@/lib/db/queries/apps";
import { lastSwapAt, type BackupView } from "@/lib/db/queries/backups";
import { lastDrillOfSimilarSize } from "@/lib/db/queries/drills";
import type { FidelityPlan } from "@/lib/ops/restore-fidelity";
import { planRollback, type RollbackPlan } from "@/lib/ops/rollback-plan";
import { readLiveStats } from "@/lib/ops/rollback-server";
import { databaseSizes } from "@/lib/ops/catalog";
import {
  resolveRestore,
  resolveRollback,
  resolveSwitch,
  resolveUndo,
  type RestoreRequest,
  type RollbackRequest,
  type SwitchReleaseRequest,
  type UndoRequest,
} from "./rollback-resolve";
import { backupFidelity } from "./restore-plan";
import { assertBadConfirmed, assertWorldUnchanged, expectationOf, markedBad, type Expectation } from "./rollback-expect";
import { startChange } from "./rollback-run";

// Rollback, restore, release switch and undo as jobs. Everything that can be checked without changing
// anything is checked before the job starts (a bad release, a backup of another app, no deploy root):
// that is an answer with what to do, not a failed job. The job re-checks what may have changed meanwhile.
// Resolving and validating requests is lib/jobs/rollback-resolve.ts; running the job is lib/jobs/rollback-run.ts.

export type PreviewRequest =
  | ({ kind: "rollback" } & Omit<RollbackRequest, "actor">)
  | ({ kind: "restore" } & Omit<RestoreRequest, "actor">)
  | ({ kind: "switch_release" } & Omit<SwitchReleaseRequest, "actor">)
  | ({ kind: "undo" } & Omit<UndoRequest, "actor">);

export interface RollbackPreview {
  plan: RollbackPlan;
  currentRelease: string | null;
  targetRelease: string | null;
  backup: Pick<BackupView, "id" | "name" | "method" | "kind" | "createdAt" | "release" | "forRelease" | "sizeBytes"> | null;
  /** Send back at submit: the start refuses when the world changed since (lib/jobs/rollback-expect.ts). */
  expect: Required<Expectation>;
  /** The target release is marked bad: starting needs confirmBad. */
  targetMarkedBad: { by: string; note: string | null } | null;
  /** From the last good restore drill of a backup of similar size: how long restoring took then. */
  restoreEstimate?: { restoreMs: number; backupBytes: number | null; at: Date } | null;
}

/** What a confirmation carries besides the request: what its plan showed, and the bad-release confirmation. */
export interface SubmitChecks {
  expect?: Expectation;
  confirmBad?: boolean;
}

// ─── starting ─────────────────────────────────────────────────────────────────────────────────────────────

export async function startRollback(req: RollbackRequest & SubmitChecks) {
  const r = await resolveRollback(req);
  await assertWorldUnchanged(r, req.expect);
  await assertBadConfirmed(r, req.confirmBad);
  return startChange(r, req.actor, { targetRelease: r.release, restoreDatabase: req.restoreDatabase, backupId: r.backup?.id ?? null });
}

/** The database only, from one backup; `current` is not touched. */
export async function startRestore(req: RestoreRequest & SubmitChecks) {
  const r = await resolveRestore(req);
  await assertWorldUnchanged(r, req.expect);
  return startChange(r, req.actor, { backupId: r.backup!.id, backup: r.backup!.name });
}

/** The code only: `current` to any complete release (roll forward or back). */
export async function startSwitchRelease(req: SwitchReleaseRequest & SubmitChecks) {
  const r = await resolveSwitch(req);
  await assertWorldUnchanged(r, req.expect);
  await assertBadConfirmed(r, req.confirmBad);
  return startChange(r, req.actor, { release: r.release });
}

/** Puts back the database and the release a restore/rollback/switch/undo job replaced. Itself undoable. */
export async function startUndo(req: UndoRequest & SubmitChecks) {
  const r = await resolveUndo(req);
  await assertWorldUnchanged(r, req.expect);
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
  let fidelity: FidelityPlan | null = null;
  if (r.backup) {
    const target = await getAppTarget(r.app.id);
    liveNow = await readLiveStats(target).catch(() => null);
    liveSize = (await databaseSizes(target, [target.database]).catch(() => new Map<string, number>())).get(target.database) ?? null;
    swappedAt = await lastSwapAt(r.app.id);
    fidelity = await backupFidelity(r.app.id, r.backup, target);
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
    fidelity: fidelity && { diffs: fidelity.diffs, notKept: fidelity.notKept, effects: fidelity.effects, blockers: fidelity.blockers, compared: !!fidelity.fingerprint },
    now: new Date(),
  });
  const b = r.backup;
  const bad = r.kind === "undo" ? null : await markedBad(r.app.id, r.release);
  if (bad) plan.warnings.unshift(`Release ${r.release} is marked bad (by ${bad.by}${bad.note ? `: ${bad.note}` : ""}). Confirm that you mean it.`);
  return {
    plan,
    expect: await expectationOf(r),
    targetMarkedBad: bad,
    currentRelease: r.current,
    targetRelease: r.release,
    restoreEstimate: b ? await restoreEstimate(r.app.id, b.sizeBytes) : null,
    backup: b ? { id: b.id, name: b.name, method: b.method, kind: b.kind, createdAt: b.createdAt, release: b.release, forRelease: b.forRelease, sizeBytes: b.sizeBytes } : null,
  };
}

async function restoreEstimate(appId: number, bytes: number | null): Promise<RollbackPreview["restoreEstimate"]> {
  const d = await lastDrillOfSimilarSize(appId, bytes).catch(() => null);
  return d?.restoreMs != null ? { restoreMs: d.restoreMs, backupBytes: d.backupBytes, at: d.at } : null;
}
