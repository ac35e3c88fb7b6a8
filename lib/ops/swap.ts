import type postgres from "postgres";
import { z } from "zod";
import { allowsConnections, cannotEndSessions, databaseFlags, sessionsOn, withCatalog } from "./catalog";
import { allowConnections } from "./db-admin";
import type { OpContext } from "./context";
import { OpError } from "./errors";
import { assertDbName, quoteIdent } from "./identifiers";
import { dbNameField, defineSteps, type JournalEntry } from "./journal";
import { pauseDatabase, pauseDetail, resumeWithRetry } from "./pgbouncer";
import { connectionError } from "./server-info";
import { connectTarget, MAINTENANCE_DB, type TargetDb } from "./target";

// Puts one database in place of another, from the maintenance database (ALTER DATABASE cannot run while
// connected to the database it changes):
//   1. refuse new connections to `staging` and `live` (superusers too), so no pool reconnects in the gap
//      between terminating a session and the rename (POSTGRES-SAFETY: keeping sessions out);
//   2. end live's sessions and confirm none remain (polling; a clear error after the timeout);
//   3. in ONE transaction: live → preRollbackName, staging → live, let the new live accept connections.
// ALTER DATABASE … RENAME and ALLOW_CONNECTIONS are transactional, so a crash or error leaves both renames
// done or neither. The ALLOW_CONNECTIONS flag travels with a database through renames: afterwards the new
// live database accepts connections and `preRollbackName` keeps refusing them. That is deliberate: it is a
// frozen restore point nothing can write to by accident. It stays restorable: renames and
// CREATE DATABASE … TEMPLATE do not need to connect to it (to look inside, ALTER DATABASE … ALLOW_CONNECTIONS
// true first). Undo calls this same function with the roles exchanged (staging = the pre-rollback database).
// With the app's PgBouncer admin console configured (target.pgbouncer), all of this runs between PAUSE and
// RESUME of the app's database (lib/ops/pgbouncer.ts): pooled clients wait instead of seeing errors. A PAUSE
// that does not complete in time is taken back and nothing else is done; the pause is journaled first, so
// recovery of a job that died while PgBouncer was paused resumes it.

export interface SwapOptions {
  target: TargetDb;
  /** The live name, which the app connects to. */
  live: string;
  /** The database that takes the live name. */
  staging: string;
  /** The new name of the current live database; must not exist yet. */
  preRollbackName: string;
  /** How long to wait for the live database's sessions to end (default 5 s). */
  terminateTimeoutMs?: number;
  /** How long PgBouncer's PAUSE may take (default 5 s); only with target.pgbouncer. */
  pauseTimeoutMs?: number;
  ctx: OpContext;
}

export interface SwapResult {
  /** Sessions on the live database that were ended. */
  terminated: number;
  /** From refusing new connections to live until the new live accepted them. */
  lockedOutMs: number;
  /** From PgBouncer's PAUSE completing to its RESUME (null without PgBouncer). */
  pausedMs: number | null;
}

const RESERVED = new Set([MAINTENANCE_DB, "template0", "template1"]);

const swapDetail = z.object({ live: dbNameField, staging: dbNameField, preRollbackName: dbNameField });

/** The swap's journal: `disallow` before anything changes, `rename` just before the one transaction. */
export const swapSteps = defineSteps({
  pause: ["swap:pause", pauseDetail],
  disallow: ["swap:disallow", swapDetail],
  rename: ["swap:rename", swapDetail],
});

export async function swapDatabases(opts: SwapOptions): Promise<SwapResult> {
  const { target, live, staging, preRollbackName: pre, ctx } = opts;
  for (const [n, what] of [[live, "live database name"], [staging, "staging database name"], [pre, "pre-rollback database name"]] as const) {
    assertDbName(n, what);
    if (RESERVED.has(n)) throw new OpError("reserved_db", `Refusing to swap "${n}": it is one of the server's own databases.`);
  }
  if (new Set([live, staging, pre]).size !== 3) {
    throw new OpError("invalid_identifier", `The live, staging and pre-rollback names must all differ (got ${live}, ${staging}, ${pre}).`);
  }
  const timeoutMs = opts.terminateTimeoutMs ?? 5000;
  const sql = connectTarget(target, MAINTENANCE_DB);
  try {
    let flags: Map<string, boolean>;
    try {
      flags = await databaseFlags(sql, [live, staging, pre]);
    } catch (e) {
      throw connectionError(e, target, MAINTENANCE_DB);
    }
    if (!flags.has(live)) throw new OpError("db_missing", `database "${live}" does not exist on ${target.host}:${target.port}; nothing was changed.`);
    if (!flags.has(staging)) throw new OpError("db_missing", `database "${staging}" does not exist on ${target.host}:${target.port}; nothing was changed.`);
    if (flags.has(pre)) throw new OpError("db_exists", `A database named "${pre}" already exists; nothing was changed. Try again in a second for a new name.`);
    const stagingAllowed = flags.get(staging)!;
    const bouncer = target.pgbouncer;
    if (!bouncer) return await swapLockedOut(sql, opts, timeoutMs, stagingAllowed);
    // Journaled before the PAUSE: recovery of a job that dies from here on resumes PgBouncer.
    await swapSteps.pause(ctx, { host: bouncer.host, port: bouncer.port, database: bouncer.database });
    ctx.phase("pausing PgBouncer");
    const paused = await pauseDatabase(bouncer, opts.pauseTimeoutMs ?? 5000);
    const pausedAt = Date.now();
    try {
      return { ...(await swapLockedOut(sql, opts, timeoutMs, stagingAllowed)), pausedMs: Date.now() - pausedAt };
    } finally {
      const resumed = await paused.resume();
      if (resumed.ok) ctx.log(`PgBouncer resumed ${bouncer.database} after ${Date.now() - pausedAt} ms`);
      else ctx.log(`WARNING: PgBouncer could not resume ${bouncer.database} (${resumed.error}): run RESUME ${bouncer.database}; on its admin console`);
    }
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** Steps 1–3 above, once the names are checked (and PgBouncer, if any, is paused). */
async function swapLockedOut(sql: postgres.Sql, opts: SwapOptions, timeoutMs: number, stagingAllowed: boolean): Promise<SwapResult> {
  const { target, live, staging, preRollbackName: pre, ctx } = opts;
  // Journaled before anything changes: recovery then knows to let `live` accept connections again.
  await swapSteps.disallow(ctx, { live, staging, preRollbackName: pre });
  ctx.phase("swapping databases");
  let lockedOutAt = 0;
  const marks: [string, number][] = [["start", Date.now()]];
  let terminated = 0;
  try {
    // Every step here is time the app's clients wait (or, without PgBouncer, are refused): as few round trips
    // and commits as possible. Several statements in one simple-protocol query run as one implicit transaction
    // (rolled back at once on an error, never left open): both flags in one commit, the renames in another.
    await alter(sql, target, `ALTER DATABASE ${quoteIdent(staging)} WITH ALLOW_CONNECTIONS false; ALTER DATABASE ${quoteIdent(live)} WITH ALLOW_CONNECTIONS false`, live);
    lockedOutAt = Date.now();
    marks.push(["flags", lockedOutAt]);
    terminated = await endSessions(sql, target.user, live, timeoutMs, ctx);
    await endSessions(sql, target.user, staging, timeoutMs, ctx);
    marks.push(["sessions ended", Date.now()]);
    await swapSteps.rename(ctx, { live, staging, preRollbackName: pre });
    // A session holding a lock on either database (a clone of it in progress, an open COMMENT ON) would make a
    // rename wait while live refuses connections: give up instead (lock_timeout, local to this transaction),
    // and put everything back.
    await sql
      .unsafe(
        `SELECT set_config('lock_timeout', '${Math.max(1000, Math.round(timeoutMs))}', true); ` +
          `ALTER DATABASE ${quoteIdent(live)} RENAME TO ${quoteIdent(pre)}; ` +
          `ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(live)}; ` +
          `ALTER DATABASE ${quoteIdent(live)} WITH ALLOW_CONNECTIONS true`,
      )
      .simple();
  } catch (e) {
    // The COMMIT may have reached the server even if its answer did not reach us: look before undoing.
    const state = await swapState(target, live, staging, pre).catch(() => undefined);
    if (state === "swapped") {
      ctx.log(`the swap committed although the client saw an error (${(e as Error).message})`);
      return { terminated, lockedOutMs: Date.now() - lockedOutAt, pausedMs: null };
    }
    const restored = await restoreFlags(target, live, staging, stagingAllowed);
    const mapped = mapSwapError(e, target, live, staging);
    if (!restored.ok) {
      throw new OpError(
        "reallow_failed",
        `${mapped instanceof Error ? mapped.message : "The swap failed"} Nothing was renamed, but "${live}" may still refuse connections: ` +
          `allowing them again failed (${restored.error}). Run recovery, or as its owner: ALTER DATABASE ${quoteIdent(live)} WITH ALLOW_CONNECTIONS true;`,
      );
    }
    throw mapped;
  }
  const lockedOutMs = Date.now() - lockedOutAt;
  marks.push(["renames", Date.now()]);
  const spent = marks.slice(1).map(([n, at], i) => `${n} ${at - marks[i]![1]} ms`).join(", ");
  ctx.log(`swapped: ${live} → ${pre}, ${staging} → ${live} (new connections were refused for ${lockedOutMs} ms; ${spent})`);
  return { terminated, lockedOutMs, pausedMs: null };
}

export type SwapState = "swapped" | "not_swapped" | "unknown";

/**
 * What the server shows: "swapped" when `pre` and `live` exist and `staging` is gone (both renames
 * committed), "not_swapped" when `live` and `staging` exist and `pre` does not, else "unknown".
 */
export async function swapState(target: TargetDb, live: string, staging: string, pre: string): Promise<SwapState> {
  const sql = connectTarget(target, MAINTENANCE_DB);
  try {
    return swapStateOf(await databaseFlags(sql, [live, staging, pre]), live, staging, pre);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** The same, from the flags of the three names (absent: no such database). */
export function swapStateOf(flags: Map<string, boolean>, live: string, staging: string, pre: string): SwapState {
  if (flags.has(live) && flags.has(pre) && !flags.has(staging)) return "swapped";
  if (flags.has(live) && flags.has(staging) && !flags.has(pre)) return "not_swapped";
  return "unknown";
}

/**
 * Ends every other session on `db` (connections are already refused, so none can come back) and confirms
 * none remain, polling every few milliseconds until `timeoutMs`. pg_terminate_backend(pid) returns once the
 * signal is sent; its variant with a timeout waits in 100 ms sleeps, which would be most of the downtime.
 * Returns how many sessions were ended.
 */
async function endSessions(sql: postgres.Sql, role: string, db: string, timeoutMs: number, ctx: OpContext): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const signalled = new Map<number, number>();
  for (;;) {
    const sessions = await sessionsOn(sql, db);
    if (sessions.length === 0) return signalled.size;
    // Sessions this role may not end are never signalled (that would fail the statement): they may still
    // close by themselves before the deadline; if not, the message names them and the fix.
    const foreign = sessions.filter((s) => !s.mayEnd);
    if (foreign.length && Date.now() > deadline) throw cannotEndSessions(db, foreign, role, "; nothing was renamed");
    if (Date.now() > deadline) {
      throw new OpError(
        "db_busy",
        `${sessions.length} session${sessions.length === 1 ? "" : "s"} on "${db}" did not end within ${Math.round(timeoutMs / 1000)} s ` +
          `(pids ${sessions.map((s) => s.pid).join(", ")}); nothing was renamed. Stop the app (or whatever holds them) and try again.`,
        { sessions: sessions.length },
      );
    }
    // Signal new sessions at once, and again every second those that have not gone.
    const due = sessions.filter((s) => s.mayEnd && Date.now() - (signalled.get(s.pid) ?? 0) > 1000);
    if (due.length) {
      ctx.log(`ending ${due.length} session${due.length === 1 ? "" : "s"} on ${db}: ${due.map((s) => `${s.pid}${s.applicationName ? ` (${s.applicationName})` : ""}`).join(", ")}`);
      try {
        await sql`SELECT pg_terminate_backend(pid) FROM unnest(${due.map((s) => s.pid)}::int[]) AS pid`;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        if (err.code === "42501") {
          throw new OpError(
            "not_allowed",
            `Lifeboat's database user may not end sessions on "${db}" (${err.message}); nothing was renamed. Stop the app first, or GRANT pg_signal_backend to the user.`,
          );
        }
        throw e;
      }
      for (const s of due) signalled.set(s.pid, Date.now());
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function alter(sql: postgres.Sql, target: TargetDb, stmt: string, db: string): Promise<void> {
  try {
    await sql.unsafe(stmt).simple();
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === "42501") {
      throw new OpError("not_owner", `The user "${target.user}" may not change "${db}" (${err.message}): only its owner or a superuser can.`);
    }
    throw e;
  }
}

/** After a failed swap: live accepts connections again, staging gets back the flag it had. */
async function restoreFlags(target: TargetDb, live: string, staging: string, stagingAllowed: boolean): Promise<{ ok: true } | { ok: false; error: string }> {
  const sql = connectTarget(target, MAINTENANCE_DB);
  try {
    await sql.unsafe(`ALTER DATABASE ${quoteIdent(live)} WITH ALLOW_CONNECTIONS true`);
    await sql.unsafe(`ALTER DATABASE ${quoteIdent(staging)} WITH ALLOW_CONNECTIONS ${stagingAllowed ? "true" : "false"}`).catch(() => {});
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

function mapSwapError(e: unknown, target: TargetDb, live: string, staging: string): unknown {
  if (e instanceof OpError) return e;
  const err = e as { code?: string; message?: string };
  if (err?.code === "55006") {
    return new OpError("db_busy", `The swap was refused: ${err.message}. Nothing was renamed and "${live}" accepts connections again; stop the app and try again.`);
  }
  if (err?.code === "55P03") {
    return new OpError(
      "db_busy",
      `The swap gave up waiting for a lock on "${live}" or "${staging}" (another session is using the database itself, e.g. cloning it). Nothing was renamed and "${live}" accepts connections again; try again.`,
    );
  }
  if (err?.code === "42501") {
    return new OpError(
      "not_owner",
      `The user "${target.user}" may not rename "${live}" or "${staging}" (${err.message}): renaming needs the database's owner with CREATEDB, or a superuser. Nothing was renamed.`,
    );
  }
  return connectionError(e, target, MAINTENANCE_DB);
}

export interface SwapReconciliation {
  /** The names the swap journaled; null when it never got that far (or its journal did not parse). */
  names: z.infer<typeof swapDetail> | null;
  state: SwapState | "not_reached";
  swapped: boolean;
  decisions: string[];
}

/**
 * Recovery of a swap whose process died. The renames are one transaction, so the server says whether
 * they happened (swapStateOf); whatever it says, the live database must accept connections afterwards
 * (the swap refused them first). A swap journal that does not parse is "unknown", never "not reached".
 */
export async function reconcileSwap(journal: readonly JournalEntry[], opts: { target: TargetDb; swappedIn?: string }): Promise<SwapReconciliation> {
  const { target } = opts;
  const log = swapSteps.read(journal);
  const decisions = [...log.problems];
  const names = log.last("rename") ?? log.last("disallow") ?? null;
  let state: SwapReconciliation["state"] = log.problems.length ? "unknown" : "not_reached";
  if (names) {
    const { live, staging, preRollbackName: pre } = names;
    state = await withCatalog(target, async (sql) => swapStateOf(await databaseFlags(sql, [live, staging, pre]), live, staging, pre));
    if (state === "swapped") {
      decisions.push(`the database swap had committed: ${live} is the ${opts.swappedIn ?? "restored"} database; the previous one is kept as ${pre}`);
    } else if (state === "not_swapped") {
      decisions.push(`the database swap had not happened: ${live} is unchanged`);
    } else {
      decisions.push(
        `could not tell whether the swap of ${live} happened (${live}, ${staging} and ${pre} are not in a state a swap leaves); left the databases as they are — check them by hand`,
      );
    }
  } else if (state === "unknown") {
    decisions.push(`could not tell whether the swap of ${target.database} happened (its journal is unreadable); left the databases as they are — check them by hand`);
  }
  const live = target.database;
  const allowed = await allowsConnections(target, live);
  if (allowed === null) {
    decisions.push(`WARNING: no database is named ${live}; nothing was renamed by recovery — check by hand`);
  } else if (!allowed) {
    await allowConnections(target, live);
    decisions.push(`allowed connections to ${live} again`);
  }
  decisions.push(...(await resumeJournaledPause(log.all("pause"), target)));
  return { names, state, swapped: state === "swapped", decisions };
}

/** Recovery: every PgBouncer pause the swap journaled is resumed (RESUME of a database not paused is harmless). */
async function resumeJournaledPause(pauses: z.infer<typeof pauseDetail>[], target: TargetDb): Promise<string[]> {
  const decisions: string[] = [];
  const seen = new Set<string>();
  for (const p of pauses) {
    const key = `${p.host}:${p.port}/${p.database}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const creds = target.pgbouncer;
    if (!creds) {
      decisions.push(`WARNING: the swap had paused ${p.database} on PgBouncer ${p.host}:${p.port}, but the app no longer has its admin console settings: run RESUME ${p.database}; there`);
      continue;
    }
    const r = await resumeWithRetry({ ...creds, host: p.host, port: p.port, database: p.database }, 3);
    if (!r.ok) decisions.push(`WARNING: could not resume ${p.database} on PgBouncer ${p.host}:${p.port} (${r.error}): run RESUME ${p.database}; on its admin console`);
    else if (r.state === "resumed") decisions.push(`resumed ${p.database} on PgBouncer ${p.host}:${p.port} (the job had paused it)`);
  }
  return decisions;
}
