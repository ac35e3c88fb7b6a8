import { startApp, type AppControl } from "./app-control";
import { isStagingOf } from "./backup-names";
import { allDatabases, withCatalog } from "./catalog";
import { dropLeftoverStaging } from "./clone-recovery";
import type { OpContext } from "./context";
import type { JournalEntry } from "./journal";
import { restoreSteps } from "./restore";
import { rollbackSteps } from "./rollback";
import type { TargetDb } from "./target";

// Recovery of the rollback sequence's own steps (lib/ops/rollback.ts writes them): the staging copies it
// made and the app it stopped. The swap, the restore and the release switch reconcile themselves
// (reconcileSwap, reconcileReleaseSwitch); lib/jobs calls these in order.

/**
 * Drops every staging database the run made (journaled by rollback:staging, rollback:drop_staging or
 * restore:create_db) that still exists under that name — one that became live was renamed by the swap and
 * is no longer there — when it provably is a staging copy (see dropLeftoverStaging).
 */
export async function reconcileStaging(
  journal: readonly JournalEntry[],
  opts: { target: TargetDb; recordedBackups: ReadonlySet<string>; waitMs?: number },
): Promise<{ decisions: string[] }> {
  const log = rollbackSteps.read(journal);
  const restore = restoreSteps.read(journal);
  const decisions = [...log.problems, ...restore.problems];
  const names = new Set([
    ...log.all("staging").map((d) => d.staging),
    ...log.all("dropStaging").map((d) => d.staging),
    ...restore.all("createDb").map((d) => d.newDb),
  ]);
  for (const name of names) {
    const decision = await dropLeftoverStaging(opts.target, name, { recordedBackups: opts.recordedBackups, waitMs: opts.waitMs });
    if (decision) decisions.push(decision);
  }
  return { decisions };
}

/**
 * Staging copies no job accounts for: databases named like a staging copy of the live database
 * (`<db>_staging_…`) left by a run that failed and could not drop its own (its drop was refused), or whose
 * journal is gone. The caller guarantees that no job of this app runs (it holds the app's lock), so none of
 * them is being built or swapped; each is dropped only when provably a staging copy (dropLeftoverStaging).
 */
export async function reconcileLeftoverStaging(
  target: TargetDb,
  opts: { recordedBackups: ReadonlySet<string>; waitMs?: number },
): Promise<{ decisions: string[] }> {
  const names = (await withCatalog(target, allDatabases)).map((d) => d.name).filter((n) => isStagingOf(target.database, n));
  const decisions: string[] = [];
  for (const name of names.sort()) {
    try {
      const decision = await dropLeftoverStaging(target, name, { ...opts, origin: "left behind by an earlier run; no job of this app is running" });
      if (decision) decisions.push(decision);
    } catch (e) {
      decisions.push(`found the leftover staging database ${name} but could not drop it: ${(e as Error).message}`);
    }
  }
  return { decisions };
}

/** Starts the app again when the run had stopped it (start commands are idempotent: see app-control.ts). */
export async function reconcileStoppedApp(
  journal: readonly JournalEntry[],
  opts: { app: AppControl; log: (line: string) => void },
): Promise<{ decisions: string[] }> {
  const log = rollbackSteps.read(journal);
  const stop = log.last("stop");
  // A stop step that does not parse: the app may be stopped, so it is started (harmless when it runs).
  const unreadable = log.written("stop") && !stop;
  if (!unreadable && (!stop || !stop.stops)) return { decisions: [] };
  const ctx: OpContext = { log: opts.log, phase: () => {}, progress: () => {}, step: async () => {} };
  try {
    const started = await startApp(opts.app, ctx);
    return { decisions: [started ? "started the app (the job had stopped it)" : "the job had stopped the app, but no start command is configured: START IT BY HAND"] };
  } catch (e) {
    return { decisions: [`could not start the app (${(e as Error).message}): START IT BY HAND`] };
  }
}
