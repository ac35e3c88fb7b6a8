import { constants as fsc } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { isDumpFileName } from "./backup-names";
import { sha256File } from "./checksum";
import { plainDumpComplete, PLAIN_TRAILER, readTail, verifyDumpFile, type DumpFormat } from "./dump";
import { OpError } from "./errors";
import { openVerifiedBackupFile } from "./integrity";
import { assertAbsoluteRoot, assertSafeName, fsyncDir } from "./paths";
import { planRestriction, scanPlainDump } from "./plain-dump-scan";

// Dump files in an app's backups directory that Lifeboat did not write: seed 000's Ansible writes
// db_backup_<unix>.sql before every deploy, db_backup_manual_<unix>.sql and db_backup_<label>.sql on request
// (plain pg_dump output). They are listed as "found on disk" and are never restored until adopted: read in
// full, scanned like any plain dump Lifeboat restores, and their sha256 recorded — from then on the checksum
// gate (lib/ops/integrity.ts) holds the file to those bytes, as it does for Lifeboat's own dumps.

export interface DumpOnDisk {
  name: string;
  sizeBytes: number;
  /** When the seed wrote it: the unix time in its name, else the file's mtime. */
  takenAt: Date;
  /** Listed so the operator sees it, refused when adopted. */
  symlink: boolean;
}

/** Files named like seed 000's dumps (and Lifeboat's), sorted newest first. Nothing is opened or followed. */
export async function listDumpFilesOnDisk(dir: string): Promise<DumpOnDisk[]> {
  const root = assertAbsoluteRoot(dir, "backups directory");
  const entries = await fs.readdir(root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [];
    throw e;
  });
  const out: DumpOnDisk[] = [];
  for (const e of entries) {
    if (!isDumpFileName(e.name) || !(e.isFile() || e.isSymbolicLink())) continue;
    const st = await fs.lstat(path.join(root, e.name)).catch(() => null);
    if (!st) continue;
    out.push({ name: e.name, sizeBytes: st.size, takenAt: seedTimestamp(e.name) ?? st.mtime, symlink: st.isSymbolicLink() });
  }
  return out.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime() || (a.name < b.name ? 1 : -1));
}

/** The unix seconds in db_backup_<unix>.sql / db_backup_manual_<unix>.sql (seed 000's names). */
export function seedTimestamp(name: string): Date | undefined {
  const m = name.match(/^db_backup_(?:manual_)?(\d{9,11})\.(?:sql|dump)$/);
  return m ? new Date(Number(m[1]) * 1000) : undefined;
}

/** What the seed's name says: automatic before a deploy, manual, or named for a release (the label). */
export function seedNameKind(name: string): { kind: "automatic" | "manual" | "named"; label: string | null } {
  if (/^db_backup_\d+\.(sql|dump)$/.test(name)) return { kind: "automatic", label: null };
  if (/^db_backup_manual_\d+\.(sql|dump)$/.test(name)) return { kind: "manual", label: null };
  return { kind: "named", label: name.replace(/^db_backup_/, "").replace(/\.(sql|dump)$/, "") };
}

export interface AdoptedDump {
  sha256: string;
  sizeBytes: number;
  format: Exclude<DumpFormat, "directory">;
}

export interface InspectOptions {
  pgRestore: string;
  /** Larger files are refused (a runaway or hostile file must not occupy the worker for hours). */
  maxBytes: number;
  signal?: AbortSignal;
  phase?: (p: string) => void;
}

/**
 * Decides whether a found file may be adopted, and what its sha256 is. Refuses (OpError "not_adoptable",
 * the reason in the message): a symlink or anything but a regular file directly in the directory, an empty
 * or oversized file, a plain dump without pg_dump's completion trailer (truncated), one with psql
 * meta-commands (`\!`, `\connect`, `\o`, …) or a foreign `\restrict`, a custom archive pg_restore cannot
 * read to the end. Every check reads Lifeboat's private copy (mode 0600), which replaces the found file
 * once it passes: from then on only Lifeboat may write it, which restores require (lib/ops/integrity.ts).
 */
export async function inspectFoundDump(dir: string, name: string, opts: InspectOptions): Promise<AdoptedDump> {
  if (!isDumpFileName(name)) refuse(name, "its name is not one of db_backup_<time>.sql, db_backup_manual_<time>.sql or db_backup_<label>.sql");
  assertSafeName(name, "backup file");
  const realRoot = await fs.realpath(assertAbsoluteRoot(dir, "backups directory")).catch(() => {
    throw new OpError("missing_dir", `The backups directory ${dir} does not exist.`);
  });
  const file = path.join(realRoot, name);
  const st = await fs.lstat(file).catch(() => refuse(name, "it is no longer in the backups directory"));
  if (st.isSymbolicLink()) {
    const to = await fs.readlink(file).catch(() => "?");
    refuse(name, `it is a symbolic link (to ${to}), not a file in the backups directory; copy the real file in if you trust it`);
  }
  if (!st.isFile()) refuse(name, "it is not a regular file");
  if (st.size === 0) refuse(name, "it is empty");
  if (st.size > opts.maxBytes) refuse(name, `it is ${st.size} bytes, more than the ${opts.maxBytes} bytes Lifeboat adopts (LIFEBOAT_ADOPT_MAX_BYTES)`);

  // Everything below reads Lifeboat's own private copy, which then replaces the found file: a file its writer
  // (seed 000's deploy user) can still append to would not stay the bytes that were checked (integrity.ts).
  opts.phase?.("copying");
  const copy = await privateCopy(realRoot, name, st, opts);
  try {
    const adopted = await inspectCopy(copy, name, opts);
    await fs.rename(copy, file);
    await fsyncDir(realRoot);
    return adopted;
  } finally {
    await fs.rm(copy, { force: true });
  }
}

/**
 * Copies the found file, opened without following links and without blocking (a FIFO swapped in after the
 * lstat), into `.adopt-<name>.partial` (mode 0600, created exclusively) in the same directory; refuses a file
 * that is not the inode lstat saw or that grows past the limit while copied.
 */
async function privateCopy(root: string, name: string, seen: { dev: number; ino: number }, opts: InspectOptions): Promise<string> {
  const src = await fs.open(path.join(root, name), fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK).catch(() => refuse(name, "it could not be opened as a plain file"));
  const copy = path.join(root, `.adopt-${name}.partial`);
  try {
    const st = await src.stat();
    if (!st.isFile() || st.dev !== seen.dev || st.ino !== seen.ino) refuse(name, "it was replaced while it was being adopted");
    await fs.rm(copy, { force: true }); // left by an adoption that was killed
    const out = await fs.open(copy, "wx", 0o600);
    try {
      const buf = Buffer.alloc(1024 * 1024);
      for (let total = 0; ; ) {
        if (opts.signal?.aborted) throw new OpError("cancelled", `Cancelled while copying ${name}; nothing was adopted.`);
        const { bytesRead } = await src.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > opts.maxBytes) refuse(name, `it grew past the ${opts.maxBytes} bytes Lifeboat adopts (LIFEBOAT_ADOPT_MAX_BYTES) while it was copied`);
        await out.write(buf.subarray(0, bytesRead));
      }
      await out.sync();
    } finally {
      await out.close();
    }
    return copy;
  } catch (e) {
    await fs.rm(copy, { force: true });
    throw e;
  } finally {
    await src.close();
  }
}

async function inspectCopy(file: string, name: string, opts: InspectOptions): Promise<AdoptedDump> {
  opts.phase?.("checksumming");
  const sha256 = await sha256File(file, opts.signal);
  const verified = await openVerifiedBackupFile(file, sha256, opts.signal).catch((e: unknown) => {
    if (e instanceof OpError && e.code === "tampered") refuse(name, "it changed while it was being read (is something still writing it?)");
    throw e;
  });
  try {
    const head = Buffer.alloc(5);
    const fh = await fs.open(verified.readPath, "r");
    try {
      await fh.read(head, 0, 5, 0);
    } finally {
      await fh.close();
    }
    const format: Exclude<DumpFormat, "directory"> = head.toString("latin1") === "PGDMP" ? "custom" : "plain";
    opts.phase?.("reading back");
    if (format === "plain") {
      if (!plainDumpComplete(await readTail(verified.readPath, 4096))) {
        refuse(name, `it does not end with "${PLAIN_TRAILER}": it is truncated or not a pg_dump file, and restoring it would load only part of the data`);
      }
      const plan = await planRestriction(verified.readPath);
      const problem = "problem" in plan ? plan.problem : await scanPlainDump(verified.readPath);
      if (problem) refuse(name, `line ${problem.line} has ${problem.reason}`);
    } else {
      const r = await verifyDumpFile(verified.readPath, "custom", opts.pgRestore, opts.signal);
      if (!r.ok) refuse(name, r.reason ?? "pg_restore cannot read it");
    }
    await verified.assertUnchanged().catch(() => refuse(name, "it changed while it was being read (is something still writing it?)"));
    return { sha256, sizeBytes: Number(verified.stamp.size), format };
  } finally {
    await verified.close();
  }
}

function refuse(name: string, why: string): never {
  throw new OpError("not_adoptable", `${name} was not adopted: ${why}. It stays listed as found on disk and is never restored.`);
}
