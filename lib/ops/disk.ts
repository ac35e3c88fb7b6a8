import fs from "node:fs/promises";
import { formatBytes } from "@/lib/format";
import { OpError } from "./errors";

/** Bytes an unprivileged process may still write on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await fs.statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * Refuses before starting when `dir` cannot hold about `neededBytes` (a backup that fills the disk can take
 * the database on the same disk down with it). `what` names the operation, e.g. "A backup of shop".
 */
export async function assertSpaceFor(dir: string, neededBytes: number, what: string): Promise<void> {
  if (!(neededBytes > 0)) return;
  const free = await freeBytes(dir);
  if (free < neededBytes) {
    throw new OpError(
      "no_space",
      `${what} needs about ${formatBytes(neededBytes)} but only ${formatBytes(free)} is free in ${dir}. ` +
        `Free up space there (delete old backups) or point the backups directory at a larger disk.`,
      { neededBytes, freeBytes: free, dir },
    );
  }
}
