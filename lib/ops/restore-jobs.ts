import os from "node:os";
import { backupSize } from "./dir-manifest";
import { runUnchecked } from "./exec";

// How many pg_restore jobs a staging restore gets. -j N restores N tables' data and builds N indexes at once;
// it pays off only when there are several tables with data and enough bytes to keep the jobs busy, and it
// costs --single-transaction (a failed parallel restore stops at the first error and the new database is
// dropped, lib/ops/restore.ts). Every job is a backend on the server and a process here: at most the cores.

/** Below this a dump restores in about a second on one job; forking workers would not pay. */
export const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;
const MAX_JOBS = 8;

/** Pure: the jobs for a dump of `bytes` whose TOC lists `tableData` TABLE DATA entries, on `cores` cores. */
export function parallelRestoreJobs(o: { cores: number; tableData: number; bytes: number }): number {
  if (o.bytes < PARALLEL_MIN_BYTES || o.tableData < 2) return 1;
  return Math.max(1, Math.min(o.cores, o.tableData, MAX_JOBS));
}

/** TABLE DATA entries in a custom- or directory-format dump's table of contents (`pg_restore --list` reads only the TOC). */
export async function countTableData(file: string, pgRestore: string): Promise<number | null> {
  const r = await runUnchecked(pgRestore, ["--list", file], { maxStdout: 64 * 1024 * 1024 }).catch(() => null);
  if (!r || r.code !== 0) return null;
  return r.stdout.split("\n").filter((l) => /^\d+;\s[\d ]+TABLE DATA /.test(l)).length;
}

/** The jobs for restoring this custom-format file (or dump directory) on this machine; 1 when its TOC cannot be read. */
export async function restoreJobsFor(file: string, pgRestore: string, cores = os.availableParallelism()): Promise<number> {
  const [tableData, stat] = await Promise.all([countTableData(file, pgRestore), backupSize(file).catch(() => null)]);
  if (tableData === null || stat === null) return 1;
  return parallelRestoreJobs({ cores, tableData, bytes: stat });
}
