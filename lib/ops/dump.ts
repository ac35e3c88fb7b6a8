import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { OpContext } from "./context";
import { assertSpaceFor } from "./disk";
import { OpError } from "./errors";
import { pipedDump } from "./dump-pipe";
import { ProcessError, runUnchecked } from "./exec";
import { defineSteps } from "./journal";
import { errorLine } from "./dump-pipe";
import { dirDumpJobs, pgDumpDirArgs, runDirDump } from "./dump-dir";
import { PLAIN_TRAILER, verifyDumpFile, type DumpFormat } from "./dump-verify";
import { fsyncDir, resolveInside } from "./paths";
import { newRestrictKey } from "./plain-dump-scan";
import { pgEnv, type TargetDb } from "./target";

export type { DumpFormat };
export { PLAIN_TRAILER, plainDumpComplete, readTail, verifyAndChecksum, verifyDumpFile } from "./dump-verify";

export interface DumpOptions {
  target: TargetDb;
  pgDump: string;
  pgRestore: string;
  dir: string;
  fileName: string;
  format: DumpFormat;
  ctx: OpContext;
  /** Roughly how big the dump will get: checked against free space first, and the progress bar's total. */
  estimatedBytes?: number;
  /** A snapshot exported by an open transaction (pg_export_snapshot): the dump reads exactly that state. */
  snapshot?: string;
}

export interface DumpResult {
  path: string;
  sizeBytes: number;
  sha256: string;
  verifiedAt: Date;
  durationMs: number;
}

const PROGRESS_MS = 250;

export { errorLine };

const fileField = z.string().min(1).max(255);

/** The dump's journal. appName: pg_dump's application_name, by which recovery sees whether it still runs. */
export const dumpSteps = defineSteps({
  start: ["dump:start", z.object({ file: fileField, partial: fileField, appName: z.string().max(63).optional() })],
  verified: ["dump:verified", z.object({ file: fileField, sizeBytes: z.number(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })],
  renamed: ["dump:renamed", z.object({ file: fileField })],
});

/**
 * gzip level for custom-format dumps (`pg_dump -Fc -Z`). pg_dump compresses in the same single thread that
 * receives the COPY data, so at its default (6) the compressor, not the server, sets the pace. Measured with
 * pg_dump 15 on a 2-vCPU machine (user CPU of pg_dump; elapsed times there were too noisy to rank levels):
 *   pgbench scale 100 (978 MB as plain SQL): -Z1 2.7–3.6 s, -Z2 2.6–4.1 s, -Z3 2.5–4.3 s, -Z6 4.6–5.8 s;
 *     the server's COPY alone takes 3.7–5 s, so from -Z1 to -Z3 the dump waits on the server, not gzip.
 *     Size: 28.6 MB at -Z1…-Z3, 28.1 MB at -Z6 (0.03× the plain dump either way).
 *   mixed, high-entropy data (uuids, md5 hex, random timestamps, jsonb, text; 845 MB as plain SQL):
 *     -Z1 12–15 s user / 324 MB, -Z2 14–16 s / 316 MB, -Z3 20–23 s / 308 MB, -Z6 51 s / 289 MB, -Z9 72 s / 286 MB
 *     (0.38× the plain dump at -Z1, 0.34× at -Z9: data like this never reaches 1/10 at any gzip level).
 * Level 1 costs about half (pgbench) to a quarter (mixed data) of the CPU of level 6 for 2–12 % more bytes;
 * decompressing (the read-back verification) takes about the same time at every level. Every pg_dump from
 * 9.x to 17 reads `-Z 1` as gzip level 1.
 */
export const DUMP_COMPRESSION_LEVEL = 1;

/**
 * pg_dump's arguments. The connection comes from pgEnv() (PGHOST, PGDATABASE…, password in the env), so
 * no user text is ever parsed by libpq as a connection string. Without `file` pg_dump writes to stdout: our
 * own pipe (lib/ops/dump-pipe.ts), whose exit code we read — never a shell pipe, which would hide it. Plain
 * dumps stay uncompressed text (verification reads their trailer, restore scans them for meta-commands).
 */
export function pgDumpArgs(format: DumpFormat, file?: string, restrictKey?: string, snapshot?: string): string[] {
  if (format === "directory") throw new Error("directory dumps: pgDumpDirArgs (lib/ops/dump-dir.ts)");
  if (restrictKey !== undefined && !/^[A-Za-z0-9]+$/.test(restrictKey)) throw new Error("a psql restrict key has only letters and digits");
  if (snapshot !== undefined && !/^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$/i.test(snapshot)) throw new Error("not a snapshot name");
  // Plain dumps open with `\restrict KEY` and close with `\unrestrict KEY`: psql runs no meta-command in
  // between (what a hostile server could smuggle into an object name). pg_dump 15.14+ picks a key itself;
  // naming it makes that explicit, and an older pg_dump fails loudly instead of writing an unrestricted dump.
  const formatArgs = format === "custom" ? ["-Fc", "-Z", String(DUMP_COMPRESSION_LEVEL)] : ["-Fp", "--no-owner", ...(restrictKey ? [`--restrict-key=${restrictKey}`] : [])];
  // Plain dumps without ALTER … OWNER: psql would stop at the first owner a non-superuser may not set (and
  // pg_dump puts schema grants after the objects, so even a permitted owner change can fail there). Owners
  // are given back after the load from the list recorded with the backup (lib/ops/restore-fidelity.ts),
  // as for custom-format archives restored with --no-owner.
  // --snapshot: the dump sees exactly what Lifeboat fingerprinted in the exporting transaction.
  return ["--no-password", ...formatArgs, ...(snapshot ? [`--snapshot=${snapshot}`] : []), ...(file === undefined ? [] : ["-f", file])];
}

/**
 * Dumps the target database to `dir/fileName`: written as `fileName.partial` while the same bytes are
 * checksummed and read back in full (one pass, lib/ops/dump-pipe.ts), fsynced, then renamed into place
 * (never over an existing file). On any failure or abort the partial file is removed and nothing is left that looks like a
 * backup. Directory format (lib/ops/dump-dir.ts): an exclusive `fileName.partial` directory, verified and
 * checksummed (a manifest of every member's sha256) after pg_dump, then renamed the same way.
 */
export async function dumpDatabase(opts: DumpOptions): Promise<DumpResult> {
  const { target, ctx, format } = opts;
  const started = Date.now();
  const finalPath = await resolveInside(opts.dir, opts.fileName, "backup file");
  const partial = await resolveInside(opts.dir, `${opts.fileName}.partial`, "backup file");
  const dir = path.dirname(finalPath);
  if (await exists(finalPath)) throw backupExists(opts.fileName, dir);
  if (opts.estimatedBytes) await assertSpaceFor(dir, opts.estimatedBytes, `A backup of "${target.database}"`);
  throwIfAborted(ctx);

  // Its own application_name: a pg_dump that outlives this process is visible in pg_stat_activity.
  const appName = `lifeboat-dump-${crypto.randomBytes(6).toString("hex")}`;
  await dumpSteps.start(ctx, { file: opts.fileName, partial: path.basename(partial), appName });
  let ownPartial = false;
  try {
    // Exclusive create: a partial that already exists belongs to another dump (or a crash recovery has not
    // cleaned up yet); never write over it, and never remove it below.
    // A directory dump: mkdir fails on an existing name just the same (and pg_dump -Fd fills an empty one).
    const fh = await (format === "directory" ? fs.mkdir(partial, { mode: 0o700 }).then(() => null) : fs.open(partial, "wx", 0o600)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
      throw new OpError(
        "dump_in_progress",
        `${path.basename(partial)} already exists in ${dir}: another backup is writing it, or one was interrupted. Run recovery (it keeps the file if it is complete, else removes it) and try again.`,
      );
    });
    ownPartial = true;

    // A plain dump grows to about the database's size, so that is a fair total for a progress bar; a custom
    // dump is compressed far below it, so only the bytes written are reported (no made-up percentage).
    const progressTotal = format === "plain" ? opts.estimatedBytes : undefined;
    ctx.phase(DUMP_PHASE);
    // spawn only listens for a future abort; one that already happened is checked here.
    throwIfAborted(ctx);
    let lastProgress = 0;
    const onBytes = (n: number) => {
      if (Date.now() - lastProgress < PROGRESS_MS) return;
      lastProgress = Date.now();
      ctx.progress(n, progressTotal);
    };
    const env = { ...pgEnv(target), PGAPPNAME: appName };
    const onStderrLine = (line: string) => ctx.log(line);
    const piped =
      fh === null
        ? await runDirDump({
            pgDump: opts.pgDump,
            pgRestore: opts.pgRestore,
            args: pgDumpDirArgs(partial, dirDumpJobs(), DUMP_COMPRESSION_LEVEL, opts.snapshot),
            env,
            dir: partial,
            signal: ctx.signal,
            onStderrLine,
            onBytes,
          })
        : await pipedDump({
            pgDump: opts.pgDump,
            dumpArgs: pgDumpArgs(format, undefined, format === "plain" ? newRestrictKey() : undefined, opts.snapshot),
            env,
            pgRestore: format === "custom" ? opts.pgRestore : null,
            file: fh,
            signal: ctx.signal,
            onStderrLine,
            onBytes,
          }).finally(() => fh.close());
    throwIfAborted(ctx);
    // Plain dumps: pg_restore cannot read them; complete means pg_dump's trailer is at the end.
    const check = piped.ok && format === "plain" ? await verifyDumpFile(partial, "plain", opts.pgRestore) : null;
    if (!piped.ok || (check && !check.ok)) {
      const reason = piped.ok ? (check?.reason ?? "it does not read back") : piped.reason;
      throw new OpError(
        "verify_failed",
        `pg_dump exited successfully but the dump of "${target.database}" does not read back (${reason}). Nothing was kept; try again, and check the disk.`,
        { reason },
      );
    }
    const { sha256, sizeBytes: size } = piped;
    const verifiedAt = new Date();
    ctx.progress(size, progressTotal);
    await dumpSteps.verified(ctx, { file: opts.fileName, sizeBytes: size, sha256 });

    ctx.phase("finalizing");
    throwIfAborted(ctx);
    await renameNoReplace(partial, finalPath, opts.fileName);
    ownPartial = false;
    await fsyncDir(dir);
    await dumpSteps.renamed(ctx, { file: opts.fileName });
    return { path: finalPath, sizeBytes: size, sha256, verifiedAt, durationMs: Date.now() - started };
  } catch (e) {
    if (ownPartial) {
      await fs.rm(partial, { force: true, recursive: format === "directory" }).catch((rmErr: Error) => ctx.log(`could not remove ${partial}: ${rmErr.message}`));
      await fsyncDir(dir).catch(() => {});
    }
    throw mapDumpError(e, ctx, target.database);
  }
}

/** The one phase in which the dump is written, read back and checksummed. */
export const DUMP_PHASE = "dumping, verifying and checksumming";

/**
 * rename() silently replaces an existing file, so the final name is made with link(), which refuses one,
 * then the partial name is removed. Filesystems without hard links fall back to check-then-rename.
 */
export async function renameNoReplace(from: string, to: string, fileName: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw backupExists(fileName, path.dirname(to));
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e;
    if (await exists(to)) throw backupExists(fileName, path.dirname(to));
    await fs.rename(from, to);
    return;
  }
  await fs.unlink(from);
}

function backupExists(fileName: string, dir: string): OpError {
  return new OpError(
    "backup_exists",
    `A backup file named ${fileName} already exists in ${dir}; it was not overwritten. Choose another name, or delete the old backup first.`,
  );
}

function throwIfAborted(ctx: OpContext): void {
  if (ctx.signal?.aborted) throw cancelled();
}

function cancelled(): OpError {
  return new OpError("cancelled", "The backup was cancelled; its partial file was removed.");
}

function mapDumpError(e: unknown, ctx: OpContext, db: string): unknown {
  if (e instanceof OpError) return e;
  if (ctx.signal?.aborted) return cancelled();
  if (e instanceof ProcessError) {
    const line = errorLine(e.stderrTail) || e.message;
    return new OpError("dump_failed", `pg_dump of "${db}" failed: ${line}${dumpHint(e.stderrTail)}`, {
      argv: e.argv,
      exitCode: e.code,
      signal: e.signal,
      stderrTail: e.stderrTail,
    });
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOSPC") {
    return new OpError("no_space", `The disk filled up while writing the backup of "${db}"; nothing was kept. Free up space and try again.`);
  }
  return e;
}

function dumpHint(stderr: string): string {
  if (/permission denied for/i.test(stderr)) {
    return ". The backup user must be able to read every table: use the role that owns the app's tables, or GRANT SELECT (and USAGE on schemas) to it.";
  }
  if (/unrecognized option.*restrict-key/i.test(stderr)) {
    return ". This pg_dump predates --restrict-key (PostgreSQL minor releases of August 2025 added it): update the PostgreSQL client tools, or use the custom format.";
  }
  if (/No space left on device/i.test(stderr)) return ". The disk holding the backups directory is full: free up space and try again.";
  if (/password authentication failed/i.test(stderr)) return ". Check the app's database user and password.";
  return "";
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}
