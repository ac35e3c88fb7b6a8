import type postgres from "postgres";
import { z } from "zod";
import { cannotEndSessions, databaseFlags, databaseSizesOn, displayIdent, type Session } from "./catalog";
import type { OpContext } from "./context";
import { OpError } from "./errors";
import { assertDbName, quoteIdent } from "./identifiers";
import { dbNameField, defineSteps } from "./journal";
import { connectionError } from "./server-info";
import { connectTarget, MAINTENANCE_DB, withMaintenance, type TargetDb } from "./target";
import { dbMissing, mapAlterError, RESERVED, sessionsOn, withMaint } from "./db-admin";

// Clones are made with CREATE DATABASE … TEMPLATE, run from the maintenance database: the source must have
// no other session, and ALTER DATABASE / CREATE DATABASE cannot be run while connected to it.

export type { Session };

/** The clone's journal: written before the ALTER / CREATE it names, so recovery knows what may have happened. */
export const cloneSteps = defineSteps({
  disallowed: ["clone:disallowed", z.object({ source: dbNameField })],
  /** backendPid: the server process that runs the CREATE DATABASE (it outlives a killed client). */
  creating: ["clone:creating", z.object({ source: dbNameField, cloneName: dbNameField, backendPid: z.number().int().optional() })],
  created: ["clone:created", z.object({ source: dbNameField, cloneName: dbNameField })],
});

export interface CloneOptions {
  target: TargetDb;
  source: string;
  cloneName: string;
  strategy: "file_copy" | "wal_log";
  /** Disallow new connections, end the current sessions, clone, allow connections again. */
  endSessions: boolean;
  ctx: OpContext;
  /** How long each pg_terminate_backend waits for its process to exit (default 5 s). */
  terminateTimeoutMs?: number;
}

/** Databases Lifeboat never clones, drops or locks out. */

/** Other sessions connected to `db` (not ours, not autovacuum, which CREATE DATABASE ends by itself). */
export async function listSessions(target: TargetDb, db: string): Promise<{ count: number; sessions: Session[] }> {
  assertDbName(db);
  return withMaint(target, (sql) => sessionsOn(sql, db));
}

/**
 * Clones `source` into a new database `cloneName` on the same server. Refuses up front when other sessions
 * are connected (unless told to end them); with endSessions the source refuses new connections for the
 * duration and always accepts them again afterwards, also when the clone fails.
 */
export async function cloneDatabase(opts: CloneOptions): Promise<{ sizeBytes: number; durationMs: number }> {
  const { target, source, cloneName, ctx } = opts;
  assertDbName(source, "source database name");
  assertDbName(cloneName, "clone name");
  if (RESERVED.has(source) || RESERVED.has(cloneName)) {
    throw new OpError("reserved_db", `Lifeboat does not clone "${source}" into "${cloneName}": ${[...RESERVED].join(", ")} are the server's own databases.`);
  }
  if (source === cloneName) throw new OpError("invalid_identifier", `The clone must have a different name than "${source}".`);
  const started = Date.now();
  const timeoutMs = opts.terminateTimeoutMs ?? 5000;

  const sql = connectTarget(target, MAINTENANCE_DB);
  try {
    let facts: { num: number; pid: number; allow: boolean | null; cloneExists: boolean };
    try {
      const [info] = await sql<{ num: number; pid: number }[]>`SELECT current_setting('server_version_num')::int AS num, pg_backend_pid() AS pid`;
      const flags = await databaseFlags(sql, [source, cloneName]);
      facts = { num: info!.num, pid: info!.pid, allow: flags.get(source) ?? null, cloneExists: flags.has(cloneName) };
    } catch (e) {
      throw connectionError(e, target, MAINTENANCE_DB);
    }
    if (facts.allow === null) throw dbMissing(target, source);
    if (facts.cloneExists) throw cloneExists(cloneName);

    const before = await sessionsOn(sql, source);
    if (before.count > 0 && !opts.endSessions) throw busy(source, before.count);

    let disallowed = false;
    let createIssued = false;
    let failure: unknown;
    try {
      if (opts.endSessions) {
        ctx.phase("ending sessions");
        if (facts.allow) {
          // Journaled before the ALTER, so a crash at any later point leaves recovery a note to allow
          // connections again (allowing an allowed database is harmless; a locked-out live database is not).
          await cloneSteps.disallowed(ctx, { source });
          await sql.unsafe(`ALTER DATABASE ${quoteIdent(source)} WITH ALLOW_CONNECTIONS false`);
          disallowed = true;
        } else {
          ctx.log(`"${source}" was already refusing new connections before this clone; it is left that way.`);
        }
        // Disallow first, then terminate: a pool reconnects in the gap otherwise (POSTGRES-SAFETY: sessions).
        await endAllSessions(sql, target, source, timeoutMs, ctx);
      }
      await cloneSteps.creating(ctx, { source, cloneName, backendPid: facts.pid });
      ctx.phase("cloning");
      // STRATEGY exists from PostgreSQL 15; older servers always copy files (and checkpoint).
      const strategy = facts.num >= 150000 ? ` STRATEGY ${opts.strategy === "file_copy" ? "FILE_COPY" : "WAL_LOG"}` : "";
      createIssued = true;
      await cancellable(sql.unsafe(`CREATE DATABASE ${quoteIdent(cloneName)} TEMPLATE ${quoteIdent(source)}${strategy}`), target, facts.pid, ctx.signal);
      await cloneSteps.created(ctx, { source, cloneName });
    } catch (e) {
      failure = await mapCloneError(e, sql, target, source, cloneName);
      // CREATE DATABASE is atomic, but a cancelled or disconnected client may leave the server finishing it.
      // Only after our CREATE was sent, and never on "already exists": that database is not ours.
      if (createIssued && (e as { code?: string })?.code !== "42P04") await dropHalfClone(target, cloneName, ctx);
    } finally {
      if (disallowed) {
        const reallowed = await reallow(sql, target, source, ctx);
        if (!reallowed.ok) {
          const cause = failure instanceof Error ? ` (the clone itself ${failure instanceof OpError ? "failed: " + failure.message : "failed"})` : "";
          throw new OpError(
            "reallow_failed",
            `"${source}" may still be refusing new connections: allowing them again failed with "${reallowed.error}"${cause}. ` +
              `Run as its owner: ALTER DATABASE ${quoteIdent(source)} WITH ALLOW_CONNECTIONS true;`,
            { source, cloneName },
          );
        }
      }
    }
    if (failure) throw failure;
    const sizes = await databaseSizesOn(sql, [cloneName]);
    return { sizeBytes: sizes.get(cloneName) ?? 0, durationMs: Date.now() - started };
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

// ---- internals ----------------------------------------------------------------------------------------

/** Terminates every other session on `db` and waits until none remain (connections are already refused). */
async function endAllSessions(sql: postgres.Sql, target: TargetDb, db: string, timeoutMs: number, ctx: OpContext): Promise<void> {
  const deadline = Date.now() + timeoutMs + 2000;
  for (;;) {
    const { count, sessions } = await sessionsOn(sql, db);
    if (count === 0) return;
    // Only sessions this role may end are signalled: trying the others fails the whole statement.
    const foreign = sessions.filter((s) => !s.mayEnd);
    if (foreign.length && Date.now() > deadline) throw cannotEndSessions(db, foreign, target.user, "; nothing was cloned");
    if (Date.now() > deadline) {
      throw new OpError(
        "db_busy",
        `${count} session${count === 1 ? "" : "s"} on "${db}" did not end within ${Math.round(timeoutMs / 1000)} s (pids ${sessions.map((s) => s.pid).join(", ")}). Stop the app and try again.`,
        { sessions: count },
      );
    }
    const ours = sessions.filter((s) => s.mayEnd);
    if (ours.length) ctx.log(`ending ${ours.length} session${ours.length === 1 ? "" : "s"} on ${db}: ${ours.map((s) => `${s.pid}${s.applicationName ? ` (${s.applicationName})` : ""}`).join(", ")}`);
    try {
      // With a timeout, pg_terminate_backend waits for the process to exit (false + WARNING if it does not).
      if (ours.length) await sql`SELECT pg_terminate_backend(pid, ${timeoutMs}::bigint) FROM unnest(${ours.map((s) => s.pid)}::int[]) AS pid`;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === "42501") {
        throw new OpError(
          "not_allowed",
          `Lifeboat's database user may not end some sessions on "${db}" (${err.message}). Stop the app yourself, or give the user pg_signal_backend.`,
        );
      }
      throw e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function reallow(sql: postgres.Sql, target: TargetDb, db: string, ctx: OpContext): Promise<{ ok: true } | { ok: false; error: string }> {
  const stmt = `ALTER DATABASE ${quoteIdent(db)} WITH ALLOW_CONNECTIONS true`;
  try {
    await sql.unsafe(stmt);
    return { ok: true };
  } catch (first) {
    // The first connection may be the thing that broke (cancelled, server restarted): try a fresh one.
    ctx.log(`allowing connections to ${db} again failed (${(first as Error).message}); retrying on a new connection`);
    const fresh = connectTarget(target, MAINTENANCE_DB);
    try {
      await fresh.unsafe(stmt);
      return { ok: true };
    } catch (second) {
      return { ok: false, error: (second as Error).message };
    } finally {
      await fresh.end({ timeout: 5 }).catch(() => {});
    }
  }
}

async function dropHalfClone(target: TargetDb, cloneName: string, ctx: OpContext): Promise<void> {
  const sql = connectTarget(target, MAINTENANCE_DB);
  try {
    if ((await databaseFlags(sql, [cloneName])).has(cloneName)) {
      await sql.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(cloneName)} WITH (FORCE)`);
      ctx.log(`removed the half-made clone ${cloneName}`);
    }
  } catch (e) {
    ctx.log(`could not check for a half-made clone ${cloneName}: ${(e as Error).message}; drop it by hand if it exists`);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** Cancels the running statement on the server when the operation is aborted. */
async function cancellable(q: postgres.PendingQuery<postgres.Row[]>, target: TargetDb, backendPid: number, signal?: AbortSignal): Promise<unknown> {
  if (!signal) return q;
  // Cancelled with pg_cancel_backend on a connection of our own rather than postgres.js's q.cancel(): that
  // one's socket error, when the server is going down, escapes as an unhandled rejection (seen in the
  // restart test). Ours is awaited and its failure ignored: a server that is down cancels everything anyway.
  const cancel = () => void withMaintenance(target, (c) => c`SELECT pg_cancel_backend(${backendPid})`).catch(() => {});
  if (signal.aborted) cancel();
  const onAbort = cancel;
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await q;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

async function mapCloneError(e: unknown, sql: postgres.Sql, target: TargetDb, source: string, cloneName: string): Promise<unknown> {
  if (e instanceof OpError) return e;
  const err = e as { code?: string; message?: string };
  const msg = err?.message ?? "";
  const details = { pgCode: err?.code, pgMessage: msg };
  if (err?.code === "55006" || /being accessed by other users/.test(msg)) {
    const n = await sessionsOn(sql, source).then((s) => s.count, () => 1);
    return busy(source, Math.max(n, 1), details);
  }
  if (/permission denied to create database/.test(msg)) {
    return new OpError(
      "no_createdb",
      `permission denied to create database: the user "${target.user}" may not create databases, which a clone needs. ` +
        `As a superuser run: ALTER USER ${displayIdent(target.user)} CREATEDB;`,
      details,
    );
  }
  if (/permission denied to copy database/.test(msg)) {
    return new OpError(
      "not_owner",
      `The user "${target.user}" may not clone "${source}": only its owner or a superuser can use it as a template. ` +
        `Use the role that owns the database, or as a superuser: ALTER DATABASE ${quoteIdent(source)} OWNER TO ${displayIdent(target.user)};`,
      details,
    );
  }
  if (/must be owner of database/.test(msg)) return mapAlterError(e, target, source);
  if (/accepting connections/.test(msg)) {
    return new OpError(
      "db_not_accepting",
      `source database "${source}" is not currently accepting connections: ${msg}. Stop the app so no session is connected, then try again.`,
      details,
    );
  }
  if (err?.code === "42P04") return cloneExists(cloneName);
  if (err?.code === "3D000") return dbMissing(target, source);
  if (err?.code === "53100" || /No space left on device/.test(msg)) {
    return new OpError("no_space", `The server's disk filled up while cloning "${source}"; nothing was kept. A clone needs as much free space as the database uses.`, details);
  }
  if (err?.code === "57014") return new OpError("cancelled", `The clone of "${source}" was cancelled; nothing was kept.`, details);
  return connectionError(e, target, MAINTENANCE_DB);
}

function busy(db: string, n: number, details: Record<string, unknown> = {}): OpError {
  return new OpError(
    "db_busy",
    `database "${db}" is being accessed by ${n} other session${n === 1 ? "" : "s"}; stop the app or choose "End sessions and clone"`,
    { ...details, sessions: n },
  );
}

function cloneExists(name: string): OpError {
  return new OpError("clone_exists", `A database named "${name}" already exists; it was left untouched. Try again in a second for a new name.`);
}
