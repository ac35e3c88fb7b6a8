import fs from "node:fs/promises";
import path from "node:path";
import { endLockWaitersNamed, sessionsNamed, waitUntilGone } from "./catalog";
import { dumpSteps, renameNoReplace, verifyAndChecksum, type DumpFormat } from "./dump";
import type { JournalEntry } from "./journal";
import { backupSize } from "./dir-manifest";
import { fsyncDir, resolveInside } from "./paths";
import { withMaintenance, type TargetDb } from "./target";

// Recovery of a dump whose process died (lib/ops/dump.ts writes the steps). pg_dump is a process of its
// own: it may have outlived the job and finished the file. So nothing is removed unread: first wait
// (bounded) until no pg_dump of this job is connected any more — pg_dump keeps its connection until the file
// is written and closed — then read back whatever is there in full. A complete file is kept (renamed into
// place, checksummed); only a file that no process writes any more and that does not read back is removed.

/** How long recovery waits for an orphaned pg_dump of the dead job to finish. */
export const ORPHAN_DUMP_WAIT_MS = 120_000;

export interface DumpReconciliation {
  /**
   * kept: a complete, verified file is in place under its final name; removed: the partial file was
   * provably incomplete and is gone; left: a file is there but was not kept (still written, or it does
   * not verify); not_started / absent: nothing to keep.
   */
  outcome: "kept" | "removed" | "left" | "absent" | "not_started";
  file: string | null;
  sizeBytes?: number;
  sha256?: string;
  /** The file reads back but is not the one the job journaled (its sha256 differs): never Lifeboat's. */
  tampered?: boolean;
  decisions: string[];
}

export async function reconcileDump(
  journal: readonly JournalEntry[],
  opts: { target: TargetDb; dir: string; format: DumpFormat; pgRestore: string; waitMs?: number },
): Promise<DumpReconciliation> {
  const log = dumpSteps.read(journal);
  const decisions = [...log.problems];
  const start = log.last("start");
  if (!start) {
    decisions.push(log.problems.length ? "the dump's journal is unreadable; its files were left as they are — check by hand" : "the job stopped before pg_dump started");
    return { outcome: "not_started", file: null, decisions };
  }
  const finalPath = await resolveInside(opts.dir, start.file, "backup file");
  const partial = await resolveInside(opts.dir, start.partial, "backup file");

  if (start.appName) {
    const appName = start.appName;
    const waitMs = opts.waitMs ?? ORPHAN_DUMP_WAIT_MS;
    // A session of the dead job queued on a lock is not dumping anything: end it rather than wait for it.
    const ended = await withMaintenance(opts.target, (sql) => endLockWaitersNamed(sql, appName)).catch(() => []);
    if (ended.length) decisions.push(`ended the dead job's pg_dump session${ended.length === 1 ? "" : "s"} waiting on a lock (server pid ${ended.join(", ")})`);
    const wait = await waitUntilGone(opts.target, (sql) => sessionsNamed(sql, appName), { timeoutMs: waitMs });
    if (wait.still.length > 0) {
      decisions.push(
        `pg_dump of this job is still running (server pid ${wait.still.join(", ")}) after ${Math.round(waitMs / 1000)} s; ${start.partial} was left as it is — run recovery again when it has ended`,
      );
      return { outcome: "left", file: start.file, decisions };
    }
    if (wait.waitedMs > 0) decisions.push(`waited ${(wait.waitedMs / 1000).toFixed(1)} s until the orphaned pg_dump of this job had ended`);
  }

  const finalStat = await fs.lstat(finalPath).catch(() => undefined);
  const partialStat = await fs.lstat(partial).catch(() => undefined);
  const candidate = finalStat ? finalPath : partialStat ? partial : null;
  if (!candidate) {
    decisions.push(`no file of ${start.file} was left`);
    return { outcome: "absent", file: start.file, decisions };
  }
  const check = await verifyAndChecksum(candidate, opts.format, opts.pgRestore);
  const verified = log.last("verified");
  if (check.ok && verified && verified.sha256 !== check.sha256) {
    decisions.push(`${path.basename(candidate)} reads back but its sha256 differs from the one the job recorded; left in place, not kept — check it by hand`);
    return { outcome: "left", file: start.file, tampered: true, decisions };
  }
  if (!check.ok) {
    if (candidate === finalPath) {
      decisions.push(`${start.file} exists but does not read back (${check.reason}); left in place, not kept`);
      return { outcome: "left", file: start.file, decisions };
    }
    // No pg_dump of this job is left to finish it, and a full read fails: provably incomplete.
    await fs.rm(partial, { force: true, recursive: opts.format === "directory" });
    await fsyncDir(path.dirname(partial)).catch(() => {});
    decisions.push(`removed ${start.partial}: no pg_dump was writing it any more and it does not read back (${check.reason})`);
    return { outcome: "removed", file: start.file, decisions };
  }
  if (candidate === partial) {
    await renameNoReplace(partial, finalPath, start.file);
    await fsyncDir(path.dirname(finalPath));
    decisions.push(`${start.partial} had been written completely (by pg_dump after the job died); read it back in full, kept it as ${start.file}`);
  } else {
    // link() done, unlink() of the partial name not yet: the same file under two names.
    if (partialStat && finalStat && partialStat.ino === finalStat.ino) await fs.unlink(partial);
    decisions.push(`${start.file} had been written completely; read it back in full and kept it`);
  }
  const size = await backupSize(finalPath);
  return { outcome: "kept", file: start.file, sizeBytes: size, sha256: check.sha256, decisions };
}
