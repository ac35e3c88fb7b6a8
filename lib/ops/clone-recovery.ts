import { isBackupOf } from "./backup-names";
import { createDatabaseBackends, databaseFlags, databaseSizesOn, waitUntilGone, withCatalog } from "./catalog";
import { cloneSteps } from "./clone";
import { allowConnections, dropDatabaseIfExists } from "./db-admin";
import { assertDbName } from "./identifiers";
import type { JournalEntry } from "./journal";
import type { TargetDb } from "./target";

// Recovery of clones (lib/ops/clone.ts writes the steps) and of staging copies a rollback made. The server
// works on after its client dies: a CREATE DATABASE whose client was killed is usually finished by its
// backend a second or more later. So nothing is decided about a database while a backend still creates it.

/** How long recovery waits for a server backend that is still copying a clone whose client died. */
export const CREATE_DATABASE_WAIT_MS = 120_000;

export interface CloneReconciliation {
  /**
   * complete: the clone exists (CREATE DATABASE is atomic: a database that exists is whole);
   * absent: CREATE DATABASE was sent but left nothing; still_running: the server is still copying after the
   * wait; not_started: the job died before sending it.
   */
  outcome: "complete" | "absent" | "still_running" | "not_started";
  cloneName: string | null;
  sizeBytes?: number;
  decisions: string[];
}

/**
 * Recovery of a clone whose process died. First waits (bounded) until no server backend is still running
 * its CREATE DATABASE — the server usually finishes a copy whose client died, a second or more later — then
 * lets the source accept connections again if the clone had refused them, then looks whether the clone is
 * there. Nothing is dropped here: a clone that exists is complete and is kept.
 */
export async function reconcileClone(
  journal: readonly JournalEntry[],
  opts: { target: TargetDb; waitMs?: number },
): Promise<CloneReconciliation> {
  const { target } = opts;
  const log = cloneSteps.read(journal);
  const decisions = [...log.problems];
  const creating = log.last("creating");
  let still: number[] = [];
  if (creating) {
    const pids = creating.backendPid ? [creating.backendPid] : [];
    const wait = await waitUntilGone(target, (sql) => createDatabaseBackends(sql, creating.cloneName, pids), { timeoutMs: opts.waitMs ?? CREATE_DATABASE_WAIT_MS });
    still = wait.still;
    if (wait.waitedMs > 0 && still.length === 0) {
      decisions.push(`waited ${(wait.waitedMs / 1000).toFixed(1)} s until the server had finished the CREATE DATABASE of ${creating.cloneName} that the job had sent`);
    }
  }
  const disallowed = log.last("disallowed");
  if (disallowed) {
    await allowConnections(target, disallowed.source);
    decisions.push(`allowed connections to ${disallowed.source} again`);
  }
  if (!creating) {
    decisions.push(log.problems.length ? "the clone's journal is unreadable; nothing was decided about the clone — check by hand" : "the job stopped before it sent CREATE DATABASE");
    return { outcome: "not_started", cloneName: null, decisions };
  }
  const name = creating.cloneName;
  const found = await withCatalog(target, async (sql) => ({ flags: await databaseFlags(sql, [name]), sizes: await databaseSizesOn(sql, [name]) }));
  if (found.flags.has(name) && still.length === 0) {
    decisions.push(`the clone ${name} had been created completely; kept it`);
    return { outcome: "complete", cloneName: name, sizeBytes: found.sizes.get(name) ?? 0, decisions };
  }
  if (still.length > 0) {
    decisions.push(
      `the server is still running the CREATE DATABASE of ${name} (backend pid ${still.join(", ")}) after ${Math.round((opts.waitMs ?? CREATE_DATABASE_WAIT_MS) / 1000)} s; ` +
        `not decided — when it ends, "Refresh" lists the clone if it was made`,
    );
    return { outcome: "still_running", cloneName: name, decisions };
  }
  decisions.push(`CREATE DATABASE ${name} had been sent but left no database (the server rolled it back)`);
  return { outcome: "absent", cloneName: name, decisions };
}

/**
 * Recovery: drops `name`, a database an interrupted job made (a staging copy) that never became live — only
 * when it provably is that: not the live database, named <db>_staging_<time>, not named like a backup, and
 * no backup row names it (`recordedBackups`). A CREATE DATABASE of it that the server is still running is
 * waited for first (bounded), so the copy cannot appear after the drop. Returns what was decided, or null
 * when there is no such database.
 */
export async function dropLeftoverStaging(
  target: TargetDb,
  name: string,
  opts: { recordedBackups: ReadonlySet<string>; waitMs?: number; origin?: string },
): Promise<string | null> {
  assertDbName(name);
  const wait = await waitUntilGone(target, (sql) => createDatabaseBackends(sql, name), { timeoutMs: opts.waitMs ?? CREATE_DATABASE_WAIT_MS });
  if (wait.still.length) return `the server is still creating ${name} (backend pid ${wait.still.join(", ")}); not dropped — run recovery again when it has ended`;
  if (!(await withCatalog(target, (sql) => databaseFlags(sql, [name]))).has(name)) return null;
  const why =
    name === target.database
      ? "it is the live database"
      : !/_staging_\d{8}_\d{6}(?:_\d{1,3})?$/.test(name)
        ? "it is not named like a staging database"
        : isBackupOf(target.database, name)
          ? "it is named like a backup"
          : opts.recordedBackups.has(name)
            ? "a backup row refers to it"
            : null;
  if (why) return `kept the database ${name}: ${why}`;
  await dropDatabaseIfExists(target, name, { force: true });
  return `dropped the staging database ${name} (${opts.origin ?? "a copy this job made that never became live"})`;
}
