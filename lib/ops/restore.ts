import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import type { OpContext } from "./context";
import { dropDatabaseIfExists } from "./clone";
import { errorLine, plainDumpComplete, PLAIN_TRAILER, readTail, type DumpFormat } from "./dump";
import { OpError } from "./errors";
import { ProcessError, run } from "./exec";
import { assertDbName, quoteIdent } from "./identifiers";
import { connectionError } from "./server-info";
import { connectTarget, MAINTENANCE_DB, pgEnv, withMaintenance, type TargetDb } from "./target";

export interface RestoreOptions {
  target: TargetDb;
  pgRestore: string;
  psql: string;
  /** An absolute path the caller resolved inside the backups directory. */
  file: string;
  format: DumpFormat;
  /** A database that must not exist yet; it is created here and dropped again if the restore fails. */
  newDb: string;
  ctx: OpContext;
  /** Custom format only: parallel pg_restore jobs. More than 1 gives up --single-transaction. */
  jobs?: number;
}

/**
 * pg_restore's arguments for a custom-format archive into the database named by PGDATABASE.
 *
 * Ownership: --no-owner --no-acl, so every restored object belongs to the role Lifeboat connects as (the
 * app's role, which owns the app's objects in the usual setup) and no GRANT is replayed. Restoring owners
 * fails unless each owning role exists and the connecting role may assume it (superuser), which would make
 * restores work on one server and fail on another. The cost: an app whose objects belong to several roles,
 * or that relies on GRANTs to other roles, must re-apply those after a restore.
 *
 * --single-transaction cannot be combined with -j: one job restores all-or-nothing; several jobs stop at the
 * first error (--exit-on-error) and the new database is dropped.
 *
 * `-d ""` makes pg_restore connect (without -d it prints a script) while libpq takes the database name from
 * PGDATABASE: no name ever goes through libpq's connection-string parser.
 */
export function pgRestoreArgs(file: string, jobs = 1): string[] {
  const parallel = Math.max(1, Math.floor(jobs));
  return [
    "--no-password",
    "--exit-on-error",
    "--no-owner",
    "--no-acl",
    ...(parallel > 1 ? ["-j", String(parallel)] : ["--single-transaction"]),
    "-d",
    "",
    file,
  ];
}

/** psql's arguments for a plain dump: no ~/.psqlrc, stop at the first error, all-or-nothing. */
export function psqlRestoreArgs(file: string): string[] {
  return ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", file];
}

/**
 * Restores a dump into a new database `newDb` on the target server (the live database is never touched).
 * Plain dumps are refused unless complete and free of foreign psql meta-commands. On failure the new
 * database is dropped.
 */
export async function restoreDumpToNewDatabase(opts: RestoreOptions): Promise<{ durationMs: number; sizeBytes: number }> {
  const { target, ctx, newDb, file, format } = opts;
  assertDbName(newDb, "database name");
  if (newDb === target.database) {
    throw new OpError("refused", `Refusing to restore into "${newDb}": it is the app's live database. Restore into a new database.`);
  }
  if (!path.isAbsolute(file)) throw new OpError("invalid_path", `The backup file must be given as an absolute path (got "${file}").`);
  const started = Date.now();
  await fs.promises.access(file, fs.constants.R_OK).catch(() => {
    throw new OpError("missing_file", `The backup file ${file} does not exist or cannot be read.`);
  });

  if (format === "plain") {
    ctx.phase("checking");
    if (!plainDumpComplete(await readTail(file, 4096))) {
      throw new OpError(
        "incomplete_dump",
        `The plain dump ${file} does not end with "${PLAIN_TRAILER}": it is incomplete, and restoring it would load only part of the data.`,
      );
    }
    const problem = await scanPlainDump(file);
    if (problem) {
      throw new OpError(
        "unsafe_dump",
        `Refusing to restore ${file}: line ${problem.line} has ${problem.reason}. Only restore dumps this system made.`,
        { line: problem.line },
      );
    }
  }

  await ctx.step("restore:create_db", { newDb });
  await withMaintenance(target, async (sql) => {
    try {
      // template0: a dump recreates everything itself; objects added to template1 would collide with it.
      await sql.unsafe(`CREATE DATABASE ${quoteIdent(newDb)} TEMPLATE template0`);
    } catch (e) {
      const err = e as { code?: string; message?: string };
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

  try {
    ctx.phase("restoring");
    const env = {
      ...pgEnv(target, newDb),
      // The meta-command scan assumes this; the server then reports it to psql from the first line on.
      PGOPTIONS: "-c standard_conforming_strings=on",
    };
    if (format === "custom") {
      await run(opts.pgRestore, pgRestoreArgs(file, opts.jobs), { env, signal: ctx.signal, onStderrLine: (l) => ctx.log(l) });
    } else {
      await run(opts.psql, psqlRestoreArgs(file), { env, signal: ctx.signal, onStderrLine: (l) => ctx.log(l), maxStdout: 64 * 1024 });
    }
    await ctx.step("restore:restored", { newDb });
    const sql = connectTarget(target, MAINTENANCE_DB);
    try {
      const [row] = await sql`SELECT pg_database_size(${newDb})::text AS bytes`;
      return { durationMs: Date.now() - started, sizeBytes: Number(row!.bytes) };
    } finally {
      await sql.end({ timeout: 5 }).catch(() => {});
    }
  } catch (e) {
    await dropDatabaseIfExists(target, newDb, { force: true }).catch((dropErr: Error) =>
      ctx.log(`could not drop the half-restored database ${newDb}: ${dropErr.message}; drop it by hand`),
    );
    if (ctx.signal?.aborted) throw new OpError("cancelled", `The restore was cancelled; the database ${newDb} was dropped again.`);
    if (e instanceof ProcessError) {
      const tool = format === "custom" ? "pg_restore" : "psql";
      throw new OpError(
        "restore_failed",
        `${tool} failed restoring into "${newDb}": ${errorLine(e.stderrTail) || e.message}. The new database was dropped again; the live database was not touched.`,
        { argv: e.argv, exitCode: e.code, signal: e.signal, stderrTail: e.stderrTail },
      );
    }
    throw e;
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
    const tables = await sql<{ display: string; quoted: string }[]>`
      SELECT n.nspname || '.' || c.relname AS display, format('%I.%I', n.nspname, c.relname) AS quoted
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`;
    const out: TableFingerprint[] = [];
    for (const t of tables) {
      // The name was quoted by the server (format %I), which is exact for any name; postgres.js's sql()
      // helper splits names on dots.
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

/** Scans a plain dump file; resolves with the first problem, or undefined when it only has pg_dump's own. */
export async function scanPlainDump(file: string): Promise<ScanProblem | undefined> {
  const scanner = new PsqlScriptScanner();
  const rl = readline.createInterface({ input: fs.createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      const problem = scanner.feed(line);
      if (problem) return problem;
    }
  } finally {
    rl.close();
  }
  return scanner.end();
}

// Plain-format dumps are psql scripts, and psql scripts can run shell commands (`\!`), write files (`\o`,
// `\w`), read others (`\i`) or connect elsewhere (`\c`). pg_dump itself writes only `\restrict KEY` at the
// top and `\unrestrict KEY` at the end (patched clients), and `\.` to end COPY data. This scanner follows
// psql's lexer closely enough to find a backslash outside strings, quoted identifiers, dollar quotes,
// comments and COPY data, and reports anything else as a problem.
//
// It assumes standard_conforming_strings = on (pg_dump writes that, and restore sets it for the session)
// and refuses files that change it or switch to a client-only encoding whose second bytes can look like a
// backslash: either would make psql read strings differently from this scanner. It is a tripwire for files
// that did not come from this system, not a sandbox.

const ALLOWED = /^\\(restrict|unrestrict) [A-Za-z0-9]+$/;
/** Client encodings in which a multibyte character's second byte can be 0x5c (backslash). */
const UNSAFE_ENCODINGS = new Set(["SJIS", "SHIFT_JIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "WIN932", "WIN936", "WIN949", "WIN950", "CP932", "CP936", "CP949", "CP950", "SHIFTJIS2004", "SHIFT_JIS_2004"]);
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

export interface ScanProblem {
  line: number;
  reason: string;
}

export class PsqlScriptScanner {
  private state: "normal" | "squote" | "estring" | "dquote" | "dollar" | "block" = "normal";
  private dollarTag = "";
  private blockDepth = 0;
  private inCopy = false;
  private copyPending = false;
  private stmt = "";
  private lineNo = 0;

  /** Feeds the next line (without its newline). Returns the first problem on it, if any. */
  feed(line: string): ScanProblem | undefined {
    this.lineNo++;
    if (this.inCopy) {
      // COPY … FROM stdin data runs until a line that is exactly `\.`; psql does not interpret it.
      if (line === "\\." || line === "\\.\r") this.inCopy = false;
      return undefined;
    }
    const problem = this.scanLine(line);
    if (problem) return { line: this.lineNo, reason: problem };
    if (this.copyPending) {
      this.copyPending = false;
      this.inCopy = true;
    }
    return undefined;
  }

  /** Call after the last line: an unterminated string or COPY is reported. */
  end(): ScanProblem | undefined {
    if (this.state !== "normal" && this.state !== "block") {
      return { line: this.lineNo, reason: "the file ends inside a quoted string or dollar-quoted body" };
    }
    return undefined;
  }

  private scanLine(line: string): string | undefined {
    let i = 0;
    const n = line.length;
    while (i < n) {
      const c = line[i]!;
      switch (this.state) {
        case "normal": {
          if (c === "-" && line[i + 1] === "-") {
            i = n;
            continue;
          }
          if (c === "/" && line[i + 1] === "*") {
            this.state = "block";
            this.blockDepth = 1;
            i += 2;
            continue;
          }
          if (c === "\\") {
            if (i === 0 && ALLOWED.test(line.trimEnd())) {
              i = n;
              continue;
            }
            const cmd = line.slice(i, i + 20).split(/\s/)[0];
            return `psql meta-command ${JSON.stringify(cmd)} (pg_dump writes none but \\restrict and \\unrestrict)`;
          }
          if (c === "'") {
            const prev = line[i - 1];
            const prev2 = line[i - 2];
            const isE = (prev === "E" || prev === "e") && (prev2 === undefined || !IDENT_CHAR.test(prev2));
            this.state = isE ? "estring" : "squote";
            this.stmt += c;
            i++;
            continue;
          }
          if (c === '"') {
            this.state = "dquote";
            this.stmt += c;
            i++;
            continue;
          }
          if (c === "$" && !(i > 0 && IDENT_CHAR.test(line[i - 1]!))) {
            const m = line.slice(i).match(DOLLAR_TAG);
            if (m) {
              this.state = "dollar";
              this.dollarTag = m[0];
              this.stmt += m[0];
              i += m[0].length;
              continue;
            }
          }
          if (c === ";") {
            const problem = this.endStatement();
            if (problem) return problem;
            i++;
            continue;
          }
          this.stmt += c;
          i++;
          continue;
        }
        case "squote":
        case "estring": {
          if (this.state === "estring" && c === "\\") {
            this.stmt += line.slice(i, i + 2);
            i += 2;
            continue;
          }
          if (c === "'") {
            if (line[i + 1] === "'") {
              this.stmt += "''";
              i += 2;
              continue;
            }
            this.state = "normal";
          }
          this.stmt += c;
          i++;
          continue;
        }
        case "dquote": {
          if (c === '"') {
            if (line[i + 1] === '"') {
              this.stmt += '""';
              i += 2;
              continue;
            }
            this.state = "normal";
          }
          this.stmt += c;
          i++;
          continue;
        }
        case "dollar": {
          if (c === "$" && line.startsWith(this.dollarTag, i)) {
            this.stmt += this.dollarTag;
            i += this.dollarTag.length;
            this.state = "normal";
            continue;
          }
          this.stmt += c;
          i++;
          continue;
        }
        case "block": {
          if (c === "/" && line[i + 1] === "*") {
            this.blockDepth++;
            i += 2;
            continue;
          }
          if (c === "*" && line[i + 1] === "/") {
            if (--this.blockDepth === 0) this.state = "normal";
            i += 2;
            continue;
          }
          i++;
          continue;
        }
      }
    }
    if (this.state !== "block") this.stmt += "\n";
    return undefined;
  }

  /** At a `;` outside quotes: settings that change how psql reads the rest, and COPY FROM stdin. */
  private endStatement(): string | undefined {
    const stmt = this.stmt.trim().replace(/\s+/g, " ");
    this.stmt = "";
    if (/standard_conforming_strings/i.test(stmt) && !/^SET standard_conforming_strings = on$/i.test(stmt)) {
      return "a statement that changes standard_conforming_strings (it changes how psql reads backslashes)";
    }
    if (/client_encoding/i.test(stmt)) {
      const m = stmt.match(/^SET client_encoding = '([A-Za-z0-9_]+)'$/i);
      if (!m) return "a statement that changes client_encoding in an unusual way";
      if (UNSAFE_ENCODINGS.has(m[1]!.toUpperCase())) {
        return `client encoding ${m[1]} (its multibyte characters can contain a backslash byte)`;
      }
    }
    if (/^COPY\s/i.test(stmt) && /\bFROM\s+STDIN\b/i.test(stmt)) this.copyPending = true;
    return undefined;
  }
}
