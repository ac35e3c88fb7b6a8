import { getAppById, getAppTarget, type AppView } from "@/lib/db/queries/apps";
import { finishBackup, getBackupByName, listBackupsOfJob, markBackupDeleted } from "@/lib/db/queries/backups";
import { setJobResult, type JobView } from "@/lib/db/queries/jobs";
import { startApp } from "@/lib/ops/app-control";
import { isBackupOf } from "@/lib/ops/backup-names";
import { allowConnections, dropDatabaseIfExists } from "@/lib/ops/clone";
import type { OpContext } from "@/lib/ops/context";
import { isValidDbName } from "@/lib/ops/identifiers";
import { assertSwitchable, readCurrentRelease, removeStrayTempLinks, switchRelease } from "@/lib/ops/releases";
import { databaseSizes } from "@/lib/ops/server-backups";
import { swapState } from "@/lib/ops/swap";
import { connectTarget, MAINTENANCE_DB, type TargetDb } from "@/lib/ops/target";
import { registerRecovery, type JournalRows } from "./recovery";
import type { RollbackJobResult } from "./rollback-run";

// A restore, rollback, release switch or undo whose process died. The journal says how far it got; the
// server and the filesystem say what actually happened. The rule: the swap is one transaction, so it either
// happened or not.
//   - Swap committed → finish forward: the restored database is live (accepting connections), the old one is
//     recorded as a pinned pre-rollback backup, `current` is switched to the job's target if it was not yet,
//     the app is started. Undo stays available.
//   - Swap not committed (or never reached) → revert: the live database accepts connections again, the
//     staging database this job made is dropped (only when provably that: journaled by this job, named
//     <db>_staging_<time>, not the live database, not any backup; otherwise kept and reported), `current`
//     stays, the app is started again if the job had stopped it.
//   - Code only → `current` is whatever the atomic rename left (old or new, both complete); stray temp links
//     are removed; the app is started if it had been stopped.
// Each decision is returned as a sentence; recovery writes them to the job log and the audit log.

type Detail = Record<string, unknown>;

async function recoverChange(job: JobView, journal: JournalRows, log: (line: string) => void): Promise<string[]> {
  const decisions: string[] = [];
  const app = await getAppById(job.appId);
  if (!app) return ["the app no longer exists; nothing to reconcile"];
  const target = await getAppTarget(app.id);
  const live = target.database;
  const last = (step: string): Detail | undefined => [...journal].reverse().find((j) => j.step === step)?.detail as Detail | undefined;
  const reached = (step: string) => journal.some((j) => j.step === step);
  const params = job.params as Detail;
  const str = (v: unknown) => (typeof v === "string" ? v : null);

  // 1. The database.
  const swapDetail = last("swap:rename") ?? last("swap:disallow");
  const swapStaging = str(swapDetail?.staging);
  const preName = str(swapDetail?.preRollbackName);
  let swapped = false;
  if (swapDetail && swapStaging && preName) {
    const state = await swapState(target, live, swapStaging, preName);
    if (state === "swapped") {
      swapped = true;
      decisions.push(`the database swap had committed: ${live} is the ${job.type === "undo" ? "put-back" : "restored"} database; the previous one is kept as ${preName}`);
    } else if (state === "not_swapped") {
      decisions.push(`the database swap had not happened: ${live} is unchanged`);
    } else {
      decisions.push(
        `could not tell whether the swap of ${live} happened (${live}, ${swapStaging} and ${preName} are not in a state a swap leaves); left the databases as they are — check them by hand`,
      );
    }
  }
  const liveFlag = await dbFlag(target, live);
  if (liveFlag === null) {
    decisions.push(`WARNING: no database is named ${live}; nothing was renamed by recovery — check by hand`);
  } else if (!liveFlag) {
    await allowConnections(target, live);
    decisions.push(`allowed connections to ${live} again`);
  }

  // 2. Staging databases this job made and that did not become live.
  const stagingNames = new Set<string>();
  for (const j of journal) {
    const d = j.detail as Detail;
    if (j.step === "rollback:staging" || j.step === "rollback:drop_staging") {
      const n = str(d.staging);
      if (n) stagingNames.add(n);
    }
    if (j.step === "restore:create_db") {
      const n = str(d.newDb);
      if (n) stagingNames.add(n);
    }
  }
  for (const name of stagingNames) {
    if (!isValidDbName(name) || (await dbFlag(target, name)) === null) continue;
    const why = await notProvablyStaging(app, target, name);
    if (why) {
      decisions.push(`kept the database ${name}: ${why}`);
      continue;
    }
    await dropDatabaseIfExists(target, name, { force: true });
    decisions.push(`dropped the staging database ${name} (a copy this job made that never became live)`);
  }

  // 3. The pre-rollback backup row.
  for (const b of await listBackupsOfJob(job.id)) {
    if (b.kind !== "pre_rollback" || b.status !== "running") continue;
    if (swapped && b.name === preName) {
      const size = (await databaseSizes(target, [b.name]).catch(() => new Map<string, number>())).get(b.name);
      await finishBackup(b.id, { status: "ok", sizeBytes: size, verifiedAt: new Date() });
      decisions.push(`recorded ${b.name} as a pinned pre-rollback backup`);
    } else {
      await finishBackup(b.id, { status: "failed", error: "The swap did not happen; this database was never created." });
      await markBackupDeleted(app.id, b.id);
      decisions.push(`removed the placeholder backup row for ${b.name} (the swap did not happen)`);
    }
  }
  const putBack = str(params.putBack);
  if (job.type === "undo" && swapped && putBack) {
    const row = await getBackupByName(app.id, "clone", putBack);
    if (row) {
      await markBackupDeleted(app.id, row.id);
      decisions.push(`${putBack} is the live database again, so it is no longer listed as a backup`);
    }
  }

  // 4. The code.
  const switchDetail = last("rollback:switch");
  const targetRelease = str(params.targetRelease) ?? str(params.release) ?? str(switchDetail?.to);
  let previousRelease = str(switchDetail?.from);
  let switched = false;
  let current: string | null = null;
  if (app.deployRoot) {
    for (const l of await removeStrayTempLinks(app.deployRoot)) decisions.push(`removed the stray temporary link ${l}`);
    current = await readCurrentRelease(app.deployRoot);
    previousRelease ??= current;
    if (switchDetail && targetRelease && current === targetRelease && previousRelease !== targetRelease) {
      switched = true;
      decisions.push(`current had been switched to ${targetRelease}`);
    } else if (swapped && targetRelease && current !== targetRelease && job.type !== "restore") {
      // The database now matches the target release: finish the switch so code and data go together.
      try {
        previousRelease = await switchRelease(app.deployRoot, targetRelease, { allowUnmarked: job.type === "undo" });
        current = targetRelease;
        switched = true;
        decisions.push(`finished the release switch: current → ${targetRelease} (was ${previousRelease ?? "nothing"}), to match the swapped database`);
      } catch (e) {
        decisions.push(`could not switch current to ${targetRelease} (${(e as Error).message}); current still → ${current ?? "nothing"}`);
      }
    } else if (switchDetail) {
      decisions.push(`current had not been switched; it still points at ${current ?? "nothing"}`);
    }
    if (current) {
      const complete = await assertSwitchable(app.deployRoot, current, { allowUnmarked: current === previousRelease }).then(
        () => true,
        () => false,
      );
      if (!complete) decisions.push(`WARNING: current points at ${current}, which is not a complete release — switch it by hand`);
    }
  }

  // 5. The app, if the job had stopped it.
  if (reached("rollback:stop") && last("rollback:stop")?.stops !== false) {
    const ctx: OpContext = { log, phase: () => {}, progress: () => {}, step: async () => {} };
    try {
      const started = await startApp(app, ctx);
      decisions.push(started ? "started the app (the job had stopped it)" : "the job had stopped the app, but no start command is configured: START IT BY HAND");
    } catch (e) {
      decisions.push(`could not start the app (${(e as Error).message}): START IT BY HAND`);
    }
  }

  // 6. What undo needs, as for a job that ended by itself.
  const changed = swapped || switched;
  const result: RollbackJobResult = {
    ...((job.result as Partial<RollbackJobResult> | null) ?? {}),
    kind: job.type as RollbackJobResult["kind"],
    changed,
    swapped,
    switched,
    live,
    staging: swapped ? swapStaging : null,
    preRollbackDb: swapped ? preName : null,
    preRollbackBackupId: swapped && preName ? ((await getBackupByName(app.id, "clone", preName))?.id ?? null) : null,
    previousRelease: switched ? previousRelease : current,
    release: current,
    restoredFrom: (job.result as Partial<RollbackJobResult> | null)?.restoredFrom ?? null,
    undoOf: typeof params.undoOf === "number" ? params.undoOf : null,
    stagingCheck: null,
    health: null,
    lockedOutMs: null,
    undo: changed ? { available: true, hint: "Recovery finished this operation; Undo puts back the previous state." } : { available: false, hint: "Nothing was changed." },
  };
  await setJobResult(job.id, result);
  if (decisions.length === 0) decisions.push("nothing had been changed yet");
  return decisions;
}

/** Why `name` is not provably a staging database this job made (undefined when it is). */
async function notProvablyStaging(app: AppView, target: TargetDb, name: string): Promise<string | undefined> {
  if (name === target.database) return "it is the live database";
  if (!/_staging_\d{8}_\d{6}(?:_\d{1,3})?$/.test(name)) return "it is not named like a staging database";
  if (isBackupOf(target.database, name)) return "it is named like a backup";
  if (await getBackupByName(app.id, "clone", name)) return "a backup row refers to it";
  return undefined;
}

async function dbFlag(target: TargetDb, name: string): Promise<boolean | null> {
  const sql = connectTarget(target, MAINTENANCE_DB);
  try {
    const [row] = await sql<{ allow: boolean }[]>`SELECT datallowconn AS allow FROM pg_database WHERE datname = ${name}`;
    return row ? row.allow : null;
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

for (const type of ["restore", "rollback", "switch_release", "undo"] as const) registerRecovery(type, recoverChange);
