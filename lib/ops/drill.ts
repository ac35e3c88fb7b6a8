import { z } from "zod";
import { fingerprintDatabase } from "./backup-identity";
import { dropLeftoverStaging } from "./clone-recovery";
import { dropDatabaseIfExists } from "./db-admin";
import { checkDrillProperties, drillPropertyScope, type DrillProperties } from "./drill-properties";
import type { OpContext } from "./context";
import type { DumpFormat } from "./dump";
import { OpError } from "./errors";
import { assertDbName, quoteIdent } from "./identifiers";
import { dbNameField, defineSteps, type JournalEntry } from "./journal";
import { restoreDumpToNewDatabase } from "./restore";
import { checkFidelity, giveOwnership, repairTriggers, type FidelityPlan } from "./restore-fidelity";
import { connectionError } from "./server-info";
import { connectTarget, MAINTENANCE_DB, withMaintenance, type TargetDb } from "./target";

// A restore drill: the backup restored into a scratch database (named like a staging copy, so recovery and
// the leftover sweep know it), compared with the fingerprint recorded when the backup was taken, the app's
// smoke query run read-only, its database-level properties held to the backup's record (drill-properties.ts),
// and the scratch dropped — on failure too. The live database is never touched.

export const drillSteps = defineSteps({
  scratch: ["drill:scratch", z.object({ scratch: dbNameField })],
});

export type DrillSource =
  | { kind: "dump"; file: string; sha256: string | null; format: DumpFormat; pgRestore: string; psql: string; jobs?: number }
  | { kind: "clone"; cloneName: string };

export interface DrillInput {
  target: TargetDb;
  ctx: OpContext;
  /** A free `<db>_staging_…` name (stagingDbName). */
  scratch: string;
  source: DrillSource;
  fidelity: FidelityPlan;
  smokeQuery: string | null;
  smokeTimeoutMs: number;
}

export interface DrillEvidence {
  ok: boolean;
  restoreMs: number | null;
  durationMs: number;
  tables: number | null;
  rows: number | null;
  /** Unexplained differences from the fingerprint, in words (the first few). */
  differences: string[];
  /** Whether the backup recorded a fingerprint to compare with (adopted and older dumps did not). */
  compared: boolean;
  /** Database-level properties held to the backup's record, and those a scratch copy cannot show (with why); null when the drill failed before it got there. */
  properties: DrillProperties | null;
  smoke: string | null;
  error: string | null;
  /** The failure's code, when it failed. */
  code: string | null;
  dropped: boolean;
}

export async function runDrill(input: DrillInput): Promise<DrillEvidence> {
  const { target, ctx, scratch, fidelity } = input;
  assertDbName(scratch, "scratch database name");
  if (scratch === target.database) throw new OpError("refused", `The scratch database must not be the live database "${scratch}".`);
  const started = Date.now();
  const ev: DrillEvidence = { ok: false, restoreMs: null, durationMs: 0, tables: null, rows: null, differences: [], compared: !!fidelity.fingerprint, properties: null, smoke: null, error: null, code: null, dropped: false };
  await drillSteps.scratch(ctx, { scratch });
  try {
    if (fidelity.blockers.length) throw new OpError("not_restorable_here", fidelity.blockers.join(" "));
    ctx.phase("restoring into a scratch database");
    const t0 = Date.now();
    await buildScratch(input);
    ev.restoreMs = Date.now() - t0;
    ctx.log(`restored into ${scratch} in ${(ev.restoreMs / 1000).toFixed(1)} s`);
    await giveOwnership(target, fidelity, scratch, ctx);
    ctx.phase("comparing with the backup's fingerprint");
    let print = await fingerprintDatabase(target, scratch, { rows: true });
    if ((await repairTriggers(target, fidelity, scratch, print, ctx)).length) print = await fingerprintDatabase(target, scratch, { rows: true });
    const counts = Object.values(print.rows ?? {});
    ev.tables = counts.length;
    ev.rows = counts.reduce((n, r) => n + r, 0);
    ctx.log(`${scratch}: ${ev.tables} tables, ${ev.rows} rows`);
    if (fidelity.fingerprint) {
      try {
        checkFidelity(fidelity, print, ctx, scratch);
      } catch (e) {
        const diffs = (e instanceof OpError ? (e.details?.differences as { kind: string; what: string; backup: string; staging: string }[] | undefined) : undefined) ?? [];
        ev.differences = diffs.slice(0, 20).map((d) => `${d.kind} ${d.what}: backup ${d.backup}, restored ${d.staging}`);
        throw e;
      }
    } else {
      ctx.log("this backup recorded no fingerprint (adopted, or taken before Lifeboat recorded them): checked that every table reads back, with row counts");
    }
    if (input.smokeQuery) {
      ctx.phase("running the smoke query");
      ev.smoke = await runSmokeQuery(target, scratch, input.smokeQuery, input.smokeTimeoutMs);
      ctx.log(`smoke query: ${ev.smoke}`);
    }
    ctx.phase("comparing the database's own properties");
    try {
      ev.properties = await checkDrillProperties(target, fidelity, scratch, ctx);
    } catch (e) {
      if (e instanceof OpError && Array.isArray(e.details?.differences)) {
        ev.differences = (e.details.differences as string[]).slice(0, 20);
        ev.properties = drillPropertyScope(fidelity);
      }
      throw e;
    }
    ev.ok = true;
  } catch (e) {
    ev.code = e instanceof OpError ? e.code : "drill_failed";
    ev.error = e instanceof Error ? e.message : String(e);
    if (ev.code === "smoke_failed") ev.smoke = ev.error;
  } finally {
    ctx.phase("dropping the scratch database");
    try {
      await dropDatabaseIfExists(target, scratch, { force: true });
      ev.dropped = true;
      ctx.log(`dropped ${scratch}`);
    } catch (e) {
      ctx.log(`could not drop ${scratch}: ${(e as Error).message}; recovery drops it`);
    }
    ev.durationMs = Date.now() - started;
  }
  return ev;
}

async function buildScratch(input: DrillInput): Promise<void> {
  const { target, ctx, scratch, source, fidelity } = input;
  if (source.kind === "dump") {
    await restoreDumpToNewDatabase({
      target,
      pgRestore: source.pgRestore,
      psql: source.psql,
      file: source.file,
      sha256: source.sha256,
      format: source.format,
      newDb: scratch,
      ctx,
      jobs: source.jobs,
      identity: fidelity.apply,
      keepAcls: fidelity.keep.acls,
    });
    return;
  }
  assertDbName(source.cloneName);
  await withMaintenance(target, async (sql) => {
    try {
      await sql.unsafe(`CREATE DATABASE ${quoteIdent(scratch)} TEMPLATE ${quoteIdent(source.cloneName)}`);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === "55006") throw new OpError("db_busy", `The clone "${source.cloneName}" is being accessed by other sessions; a copy needs it to have none.`);
      throw connectionError(e, target, MAINTENANCE_DB);
    }
  });
}

/**
 * The app's smoke query against the scratch copy: one statement (the extended protocol refuses several), in a
 * READ ONLY transaction that is rolled back, under statement_timeout. It fails on an error, on no rows, or
 * when the first column of the first row is false (so `SELECT count(*) > 0 FROM orders` can say no).
 */
export async function runSmokeQuery(target: TargetDb, db: string, query: string, timeoutMs: number): Promise<string> {
  const problem = smokeQueryProblem(query);
  if (problem) throw new OpError("smoke_failed", `The smoke query was not run: ${problem}.`);
  const sql = connectTarget(target, db);
  try {
    const conn = await sql.reserve();
    try {
      await conn`BEGIN READ ONLY`;
      await conn`SELECT set_config('statement_timeout', ${String(Math.max(1, Math.round(timeoutMs)))}, true)`;
      // The app's own query, written by an admin, run read-only against a throwaway copy: it is text by design.
      // simple: false — the extended protocol takes one statement only, so `COMMIT; DELETE …` cannot leave the
      // read-only transaction (postgres.js would otherwise send a query without parameters as a simple query).
      const rows = await conn.unsafe(query, [], { simple: false } as Parameters<typeof conn.unsafe>[2]);
      const first = rows[0] ? Object.values(rows[0] as Record<string, unknown>)[0] : undefined;
      if (rows.length === 0) throw new OpError("smoke_failed", "The smoke query returned no rows.");
      if (first === false) throw new OpError("smoke_failed", "The smoke query answered false.");
      return `ok: ${rows.length} row${rows.length === 1 ? "" : "s"}, first value ${JSON.stringify(first)?.slice(0, 80)}`;
    } catch (e) {
      if (e instanceof OpError) throw e;
      throw new OpError("smoke_failed", `The smoke query failed: ${(e as Error).message}`);
    } finally {
      await conn`ROLLBACK`.catch(() => {});
      conn.release();
    }
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/**
 * A smoke query must be a query: SELECT, WITH … SELECT, VALUES or TABLE. READ ONLY stops writes to tables,
 * but not `COPY … TO PROGRAM` (checked here on 15: the shell command runs on the database server when the
 * role is a superuser or has pg_execute_server_program), nor CALL or DO of a function with side effects.
 */
export function smokeQueryProblem(query: string): string | null {
  const head = query.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*/, "").match(/^[A-Za-z]+/)?.[0]?.toUpperCase();
  if (!head || !["SELECT", "WITH", "VALUES", "TABLE"].includes(head)) return "it must be one SELECT (or WITH … SELECT, VALUES, TABLE)";
  // The drill runs it with the extended protocol, which refuses a second statement: said when it is saved, not
  // at the first drill (an outside tester saved "SELECT 1; DROP TABLE orders").
  return statementCount(query) > 1 ? "it must be one statement: remove what follows the ';'" : null;
}

/**
 * Statements in SQL text: semicolons outside quotes ('…', E'…', "…", $tag$…$tag$) and comments (--, nested
 * /* *\/), not counting empty ones (a trailing ';'). Enough to refuse a second statement early; the server's
 * extended protocol stays the authority.
 */
export function statementCount(text: string): number {
  let count = 0;
  let content = false;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    const rest = text.slice(i);
    let skip = 0;
    if (rest.startsWith("--")) skip = rest.includes("\n") ? rest.indexOf("\n") : rest.length;
    else if (rest.startsWith("/*")) {
      let depth = 0;
      let j = 0;
      do {
        if (rest.startsWith("/*", j)) {
          depth++;
          j += 2;
        } else if (rest.startsWith("*/", j)) {
          depth--;
          j += 2;
        } else j++;
      } while (depth > 0 && j < rest.length);
      skip = j;
    } else if (c === "'" || c === '"') {
      const backslashes = c === "'" && /[eE]$/.test(text.slice(0, i)) && !/[A-Za-z0-9_][eE]$/.test(text.slice(0, i));
      let j = 1;
      for (; j < rest.length; j++) {
        if (backslashes && rest[j] === "\\") j++;
        else if (rest[j] === c) {
          if (rest[j + 1] === c) j++;
          else break;
        }
      }
      skip = j + 1;
    } else if (c === "$") {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest)?.[0];
      if (tag) {
        const end = rest.indexOf(tag, tag.length);
        skip = end < 0 ? rest.length : end + tag.length;
      }
    }
    if (skip > 0) {
      if (!rest.startsWith("--") && !rest.startsWith("/*")) content = true;
      i += skip;
      continue;
    }
    if (c === ";") {
      if (content) count++;
      content = false;
    } else if (!/\s/.test(c)) content = true;
    i++;
  }
  return count + (content ? 1 : 0);
}

/** Recovery of a drill whose process died: the scratch database it journaled is dropped when provably one. */
export async function reconcileDrill(journal: readonly JournalEntry[], opts: { target: TargetDb; recordedBackups: ReadonlySet<string>; waitMs?: number }): Promise<string[]> {
  const log = drillSteps.read(journal);
  const decisions = [...log.problems];
  for (const { scratch } of log.all("scratch")) {
    const d = await dropLeftoverStaging(opts.target, scratch, { recordedBackups: opts.recordedBackups, waitMs: opts.waitMs, origin: "the scratch copy of a drill that died" });
    decisions.push(d ?? `the drill's scratch database ${scratch} was already gone`);
  }
  if (!log.has("scratch")) decisions.push("the drill stopped before it created a scratch database");
  return decisions;
}
