import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { databaseSizes } from "./catalog";
import { createDatabaseLocaleOptions, localeText, type DbIdentity } from "./db-identity";
import type { OpContext } from "./context";
import { dropDatabaseIfExists } from "./db-admin";
import { errorLine, plainDumpComplete, PLAIN_TRAILER, readTail, type DumpFormat } from "./dump";
import { OpError } from "./errors";
import { openVerifiedBackupFile, type OpenVerifiedFile } from "./integrity";
import { newRestrictKey, planRestriction, scanPlainDump } from "./plain-dump-scan";
import { listUserTables } from "./tables";
import { ProcessError, run } from "./exec";
import { assertDbName, quoteIdent } from "./identifiers";
import { dbNameField, defineSteps } from "./journal";
import { connectionError } from "./server-info";
import { connectTarget, MAINTENANCE_DB, pgEnv, withMaintenance, type TargetDb } from "./target";
import { z } from "zod";

/**
 * The restore's journal. Recovery: the database named by create_db is a copy this restore made; the caller
 * that asked for it (lib/ops/rollback.ts, reconcileStaging) drops it unless it became live.
 */
export const restoreSteps = defineSteps({
  createDb: ["restore:create_db", z.object({ newDb: dbNameField })],
  restored: ["restore:restored", z.object({ newDb: dbNameField })],
});

export interface RestoreOptions {
  target: TargetDb;
  pgRestore: string;
  psql: string;
  /** An absolute path the caller resolved inside the backups directory. */
  file: string;
  format: DumpFormat;
  /** The sha256 recorded when Lifeboat wrote the file; null (a file Lifeboat did not write) is refused. */
  sha256: string | null;
  /** A database that must not exist yet; it is created here and dropped again if the restore fails. */
  newDb: string;
  ctx: OpContext;
  /** Custom format only: parallel pg_restore jobs. More than 1 gives up --single-transaction. */
  jobs?: number;
  /** The source database's encoding and locale (recorded with the backup): the new database gets the same. */
  identity?: DbIdentity | null;
  /** Custom format: restore grants (the caller checked that every grantee exists). */
  keepAcls?: boolean;
}

/**
 * pg_restore's arguments for a custom-format archive into the database named by PGDATABASE.
 *
 * Objects are created owned by the connecting role (--no-owner; plain dumps are written without owners):
 * ownership is given back afterwards from the list recorded with the backup, for every owner the role may
 * set (lib/ops/restore-fidelity.ts) — pg_restore would stop at the first it may not, and it restores schema
 * grants only after the objects whose owner change needs them. Grants are restored (as a plain dump restores
 * them) when every grantee exists; otherwise --no-acl, and the plan names it.
 *
 * --single-transaction cannot be combined with -j: one job restores all-or-nothing; several jobs stop at the
 * first error (--exit-on-error) and the new database is dropped.
 *
 * `-d ""` makes pg_restore connect (without -d it prints a script) while libpq takes the database name from
 * PGDATABASE: no name ever goes through libpq's connection-string parser.
 */
export function pgRestoreArgs(file: string, jobs = 1, keepAcls = false): string[] {
  const parallel = Math.max(1, Math.floor(jobs));
  return [
    "--no-password",
    "--exit-on-error",
    "--no-owner",
    ...(keepAcls ? [] : ["--no-acl"]),
    ...(parallel > 1 ? ["-j", String(parallel)] : ["--single-transaction"]),
    "-d",
    "",
    file,
  ];
}

/**
 * psql's arguments for a plain dump: no ~/.psqlrc, stop at the first error, all-or-nothing. `prelude` is a
 * file holding `\restrict <Lifeboat's key>`, read before the dump so that no meta-command in the dump can
 * run (a dump with its own verified `\restrict` pair restricts psql itself: psql refuses a second
 * `\restrict` while restricted, so the two cannot be stacked).
 */
export function psqlRestoreArgs(file: string, prelude?: string): string[] {
  return ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction", ...(prelude ? ["-f", prelude] : []), "-f", file];
}

/**
 * Restores a dump into a new database `newDb` on the target server (the live database is never touched).
 * Plain dumps are refused unless complete and free of foreign psql meta-commands. On failure the new
 * database is dropped.
 */
export async function restoreDumpToNewDatabase(opts: RestoreOptions): Promise<{ durationMs: number; sizeBytes: number }> {
  const { target, newDb, file } = opts;
  assertDbName(newDb, "database name");
  if (newDb === target.database) {
    throw new OpError("refused", `Refusing to restore into "${newDb}": it is the app's live database. Restore into a new database.`);
  }
  if (!path.isAbsolute(file)) throw new OpError("invalid_path", `The backup file must be given as an absolute path (got "${file}").`);
  const started = Date.now();
  await fs.promises.access(file, fs.constants.R_OK).catch(() => {
    throw new OpError("missing_file", `The backup file ${file} does not exist or cannot be read.`);
  });

  // First line of defence: these are the bytes Lifeboat wrote (lib/ops/integrity.ts). From here on every
  // reader (the checks below, psql, pg_restore) reads the very inode that was hashed, not the name.
  opts.ctx.phase("checking checksum");
  const verifying = openVerifiedBackupFile(file, opts.sha256, opts.ctx.signal);
  if (opts.format === "plain") {
    // A plain dump is checked (complete, no foreign meta-commands) before anything is created.
    const verified = await verifying;
    try {
      const ownKey = await checkPlainDump(opts, verified.readPath);
      await createNewDatabase(opts);
      return await restoreInto(opts, verified, ownKey, started);
    } finally {
      await verified.close();
    }
  }
  // An archive: the empty database is created while the checksum is computed (nothing reads the file
  // before the checksum matches; a database created for a file that then fails it is dropped again).
  const [verified, created] = await Promise.allSettled([verifying, createNewDatabase(opts)]);
  // A name that was taken is not ours to drop: that failure wins (the checksum is checked again next time).
  if (created.status === "rejected" && created.reason instanceof OpError && created.reason.code === "db_exists") {
    if (verified.status === "fulfilled") await verified.value.close();
    throw created.reason;
  }
  if (verified.status === "rejected") {
    if (created.status === "fulfilled") await dropAfterFailure(opts);
    throw verified.reason;
  }
  try {
    if (created.status === "rejected") throw created.reason;
    return await restoreInto(opts, verified.value, null, started);
  } finally {
    await verified.value.close();
  }
}

/** A plain dump must be complete and free of foreign psql meta-commands; returns the dump's own restrict key. */
async function checkPlainDump(opts: RestoreOptions, source: string): Promise<string | null> {
  const { ctx, file } = opts;
  ctx.phase("checking");
  if (!plainDumpComplete(await readTail(source, 4096))) {
    throw new OpError(
      "incomplete_dump",
      `The plain dump ${file} does not end with "${PLAIN_TRAILER}": it is incomplete, and restoring it would load only part of the data.`,
    );
  }
  const plan = await planRestriction(source);
  const problem = "problem" in plan ? plan.problem : await scanPlainDump(source);
  if (problem) {
    throw new OpError(
      "unsafe_dump",
      `Refusing to restore ${file}: line ${problem.line} has ${problem.reason}. Only restore dumps this system made.`,
      { line: problem.line },
    );
  }
  return "problem" in plan ? null : plan.ownKey;
}

/** CREATE DATABASE newDb (journaled first): on failure nothing was created. */
async function createNewDatabase(opts: RestoreOptions): Promise<void> {
  const { target, ctx, newDb } = opts;
  await restoreSteps.createDb(ctx, { newDb });
  await withMaintenance(target, async (sql) => {
    try {
      // template0: a dump recreates everything itself; objects added to template1 would collide with it.
      // The source's encoding and locale: collation decides ordering, citext and generated columns.
      const [{ num } = { num: 0 }] = await sql<{ num: number }[]>`SELECT current_setting('server_version_num')::int AS num`;
      const locale = opts.identity ? ` ${createDatabaseLocaleOptions(opts.identity, num)}` : "";
      await sql.unsafe(`CREATE DATABASE ${quoteIdent(newDb)} TEMPLATE template0${locale}`);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (opts.identity && (err.code === "42809" || err.code === "22023" || /locale|collation|encoding/i.test(err.message ?? ""))) {
        throw new OpError(
          "locale_unavailable",
          `The backup's database used ${localeText(opts.identity)} (${opts.identity.encoding}), which this server cannot create (${err.message}). ` +
            `Install that locale on the database server (e.g. locale-gen, or an ICU-enabled PostgreSQL) and try again. Nothing was changed.`,
        );
      }
      if (err.code === "42P04") {
        throw new OpError("db_exists", `A database named "${newDb}" already exists; it was left untouched. Choose another name.`);
      }
      if (/permission denied to create database/.test(err.message ?? "")) {
        throw new OpError(
          "no_createdb",
          `permission denied to create database: the user "${target.user}" may not create databases, which a restore needs. ` +
            `As a superuser run: ALTER USER "${target.user.replace(/"/g, '""')}" CREATEDB;`,
        );
      }
      throw connectionError(e, target, MAINTENANCE_DB);
    }
  });
}

async function dropAfterFailure(opts: RestoreOptions): Promise<void> {
  await dropDatabaseIfExists(opts.target, opts.newDb, { force: true }).catch((dropErr: Error) =>
    opts.ctx.log(`could not drop the half-restored database ${opts.newDb}: ${dropErr.message}; drop it by hand`),
  );
}

/** Runs pg_restore or psql into the new database; on any failure the new database is dropped. */
async function restoreInto(opts: RestoreOptions, verified: OpenVerifiedFile, ownKey: string | null, started: number): Promise<{ durationMs: number; sizeBytes: number }> {
  const { target, ctx, newDb, format } = opts;
  const source = verified.readPath;
  try {
    ctx.phase("restoring");
    const env = {
      ...pgEnv(target, newDb),
      // The meta-command scan assumes this; the server then reports it to psql from the first line on.
      PGOPTIONS: "-c standard_conforming_strings=on",
    };
    if (format !== "plain") {
      await run(opts.pgRestore, pgRestoreArgs(source, opts.jobs, opts.keepAcls), { env, signal: ctx.signal, onStderrLine: (l) => ctx.log(l) });
    } else {
      await withPrelude(ownKey, (prelude) =>
        run(opts.psql, psqlRestoreArgs(source, prelude), { env, signal: ctx.signal, onStderrLine: (l) => ctx.log(l), maxStdout: 64 * 1024 }),
      );
    }
    // A write into the hashed file while the tools read it changes its ctime: then what was restored is
    // not what was verified. Until this returns the caller does not use the new database; on failure it
    // is dropped below.
    await verified.assertUnchanged();
    await restoreSteps.restored(ctx, { newDb });
    const sizes = await databaseSizes(target, [newDb]);
    return { durationMs: Date.now() - started, sizeBytes: sizes.get(newDb) ?? 0 };
  } catch (e) {
    await dropAfterFailure(opts);
    if (ctx.signal?.aborted) throw new OpError("cancelled", `The restore was cancelled; the database ${newDb} was dropped again.`);
    if (e instanceof ProcessError) {
      const tool = format !== "plain" ? "pg_restore" : "psql";
      throw new OpError(
        "restore_failed",
        `${tool} failed restoring into "${newDb}": ${errorLine(e.stderrTail) || e.message}. The new database was dropped again; the live database was not touched.`,
        { argv: e.argv, exitCode: e.code, signal: e.signal, stderrTail: e.stderrTail },
      );
    }
    throw e;
  }
}

/** Runs `fn` with a 0600 file holding `\restrict <fresh key>` (none when the dump restricts psql itself). */
async function withPrelude<T>(ownKey: string | null, fn: (prelude: string | undefined) => Promise<T>): Promise<T> {
  if (ownKey) return fn(undefined);
  // The key goes through a file, not argv (visible to every local user in ps); the dump cannot know it.
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "lifeboat-psql-"));
  try {
    const prelude = path.join(dir, "restrict.sql");
    await fs.promises.writeFile(prelude, `\\restrict ${newRestrictKey()}\n`, { mode: 0o600, flag: "wx" });
    return await fn(prelude);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

export interface TableFingerprint {
  /** schema.table */
  table: string;
  rows: number;
  /** md5 over the sorted md5 of every row's text form: equal data gives equal hashes, whatever the order. */
  hash: string;
}

/**
 * Row count and a content hash of every ordinary table in `db`, sorted by name. Reads every row, so it
 * costs a full scan (and about 33 bytes of memory per row for the sort); used by tests and by the rollback
 * feature to check a staging database against its source.
 */
export async function tableFingerprint(target: TargetDb, db: string): Promise<TableFingerprint[]> {
  assertDbName(db);
  const sql = connectTarget(target, db);
  try {
    const tables = await listUserTables(sql);
    const out: TableFingerprint[] = [];
    for (const t of tables) {
      // t.quoted was quoted by the server (see listUserTables).
      const [row] = await sql.unsafe<{ rows: string; hash: string }[]>(
        `SELECT count(*)::text AS rows, md5(coalesce(string_agg(h, '' ORDER BY h COLLATE "C"), '')) AS hash
         FROM (SELECT md5(t::text) AS h FROM ${t.quoted} t) s`,
      );
      out.push({ table: t.display, rows: Number(row!.rows), hash: row!.hash });
    }
    return out;
  } catch (e) {
    throw connectionError(e, target, db);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}
