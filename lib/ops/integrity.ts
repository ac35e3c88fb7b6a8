import crypto from "node:crypto";
import fs from "node:fs/promises";
import { dirManifest, dirMembers, sameMembers } from "./dir-manifest";
import { OpError } from "./errors";

// The checksum gate: a dump is restored (or verified) only while its bytes still have the sha256 recorded
// when Lifeboat wrote it. A plain dump is a psql script, so a replaced file is code that would run on this
// machine (issue 7, finding 1); a custom dump that changed is at best someone else's data.

/** What identifies the exact bytes that were hashed: a file rewritten or replaced changes one of these. */
export interface FileStamp {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  /** Set by the kernel on every write or rename; a user cannot set it back (only root, by moving the clock). */
  ctimeNs: bigint;
}

export interface VerifiedFile {
  sha256: string;
  stamp: FileStamp;
}

const CHUNK = 1024 * 1024;

/** A backup file whose bytes matched the recorded sha256, still open. */
export interface OpenVerifiedFile extends VerifiedFile {
  /**
   * What psql or pg_restore should read: on Linux /proc/<pid>/fd/<n>, which opens the very inode that was
   * hashed even if the name is renamed over meanwhile (elsewhere the path itself).
   */
  readPath: string;
  /** Refuses when the open file was written to since it was hashed (its ctime or size moved). */
  assertUnchanged(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Hashes `file` and compares it with `expected` (the sha256 recorded when Lifeboat wrote it). Refuses a
 * file with no recorded checksum (found on disk, or never finished), one whose hash differs ("tampered"),
 * and one that changed while it was being hashed. The file stays open: restore from `readPath`, check
 * `assertUnchanged()` after the tool is done, then `close()`.
 */
export async function openVerifiedBackupFile(file: string, expected: string | null | undefined, signal?: AbortSignal): Promise<OpenVerifiedFile> {
  if (!expected) {
    throw new OpError(
      "no_checksum",
      `${file} has no sha256 recorded by Lifeboat (it was not written by this system, or its write never finished), so Lifeboat will not restore it. ` +
        `Restore it by hand only if you know where it came from.`,
    );
  }
  const fh = await fs.open(file, "r").catch(() => {
    throw new OpError("missing_file", `The backup file ${file} does not exist or cannot be read.`);
  });
  if ((await fh.stat()).isDirectory()) return openVerifiedDir(file, fh, expected, signal);
  try {
    await assertOnlyLifeboatWrites(file, fh);
    const stamp = toStamp(await fh.stat({ bigint: true }));
    const hash = crypto.createHash("sha256");
    const buf = Buffer.alloc(CHUNK);
    for (let pos = 0; ; ) {
      if (signal?.aborted) throw new OpError("cancelled", "Cancelled while checking the backup's checksum; nothing was restored.");
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    const sha256 = hash.digest("hex");
    const assertUnchanged = async () => {
      if (!sameStamp(stamp, toStamp(await fh.stat({ bigint: true })))) throw changedWhileChecking(file);
    };
    await assertUnchanged();
    assertExpected(file, sha256, expected);
    return { sha256, stamp, readPath: await procPathOf(fh, file, stamp), assertUnchanged, close: () => fh.close() };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/**
 * The checksum proves the bytes as they were hashed; psql and pg_restore read them afterwards. A file another
 * user may write (seed 000's deploy user owns the dumps its playbook wrote) could be appended to in between —
 * a `\!` line written while psql runs would run as Lifeboat. So the file must belong to Lifeboat's own user
 * and be writable by no group or other user (adoption rewrites a found file as Lifeboat's own).
 */
async function assertOnlyLifeboatWrites(file: string, fh: fs.FileHandle): Promise<void> {
  const st = await fh.stat();
  const uid = process.getuid?.();
  if ((uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0) return;
  throw new OpError(
    "unsafe_file",
    `${file} may be changed by another user (owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}), so Lifeboat will not restore from it: ` +
      `what was checked is not necessarily what would be read. Make it Lifeboat's own and private (chown to Lifeboat's user, chmod 600), then verify it again.`,
  );
}

/**
 * A directory-format dump: its checksum is that of its manifest (lib/ops/dir-manifest.ts). The tools read it
 * through the open directory's /proc path (the very directory that was hashed, even if the name is renamed
 * over); assertUnchanged refuses when a member was added, removed, renamed or written since.
 */
async function openVerifiedDir(dir: string, fh: fs.FileHandle, expected: string, signal?: AbortSignal): Promise<OpenVerifiedFile> {
  try {
    const stamp = toStamp(await fh.stat({ bigint: true }));
    const members = await dirMembers(dir);
    const { sha256 } = await dirManifest(dir, members, signal).catch((e: unknown) => {
      if (signal?.aborted) throw new OpError("cancelled", "Cancelled while checking the backup's checksum; nothing was restored.");
      throw e;
    });
    const readPath = await procPathOf(fh, dir, stamp);
    const assertUnchanged = async () => {
      const same = sameStamp(stamp, toStamp(await fh.stat({ bigint: true }))) && sameMembers(members, await dirMembers(readPath).catch(() => []));
      if (!same) throw changedWhileChecking(dir);
    };
    await assertUnchanged();
    assertExpected(dir, sha256, expected);
    return { sha256, stamp, readPath, assertUnchanged, close: () => fh.close() };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

function assertExpected(file: string, sha256: string, expected: string): void {
  if (sha256 === expected.toLowerCase()) return;
  throw new OpError(
    "tampered",
    `${file} was changed after Lifeboat wrote it: its sha256 is ${sha256.slice(0, 12)}…, not the recorded ${expected.slice(0, 12)}…. ` +
      `It is marked tampered and will not be restored. Find out who can write to the backups directory.`,
    { sha256 },
  );
}

/** /proc/<pid>/fd/<n> when it opens the same inode (Linux), else the path itself. */
async function procPathOf(fh: fs.FileHandle, file: string, stamp: FileStamp): Promise<string> {
  const procPath = `/proc/${process.pid}/fd/${fh.fd}`;
  const viaProc = await fs.stat(procPath, { bigint: true }).then(
    (st) => st.ino === stamp.ino && st.dev === stamp.dev,
    () => false,
  );
  return viaProc ? procPath : file;
}

/** Hashes and compares like openVerifiedBackupFile, for a caller that reads the file by path right after. */
export async function checkBackupFile(file: string, expected: string | null | undefined, signal?: AbortSignal): Promise<VerifiedFile> {
  const v = await openVerifiedBackupFile(file, expected, signal);
  await v.close();
  // The path must still name the inode that was hashed (not a file renamed over it meanwhile).
  await assertFileUnchanged(file, v.stamp);
  return { sha256: v.sha256, stamp: v.stamp };
}

/** Refuses when `file` is no longer the very file (same inode, size, mtime, ctime) that was hashed. */
export async function assertFileUnchanged(file: string, stamp: FileStamp): Promise<void> {
  const now = await fs.stat(file, { bigint: true }).catch(() => null);
  if (!now || !sameStamp(stamp, toStamp(now))) throw changedWhileChecking(file);
}

function changedWhileChecking(file: string): OpError {
  return new OpError(
    "tampered",
    `${file} was changed or replaced while Lifeboat was checking or restoring it. It is marked tampered; nothing restored from it was kept. ` +
      `Find out who can write to the backups directory.`,
  );
}

function toStamp(s: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): FileStamp {
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}
