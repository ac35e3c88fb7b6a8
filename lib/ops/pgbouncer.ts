import postgres from "postgres";
import { z } from "zod";
import { OpError } from "./errors";
import { assertDbName } from "./identifiers";
import { dbNameField } from "./journal";

// PgBouncer's admin console (the virtual database `pgbouncer`, a user in admin_users). It speaks only the
// simple query protocol: every statement goes through postgres.js's .simple() (POSTGRES-SAFETY: PgBouncer).
//   PAUSE db  waits until each server connection is released as the pool mode allows (transaction pooling:
//             running transactions finish; session pooling: clients must disconnect, so it can wait forever),
//             then closes the server connections. New client queries wait instead of failing.
//   RESUME db lets them go on, on new server connections — to whatever database has the name by then.
// Checked on 1.18: a PAUSE still waiting is cancelled by a RESUME from another admin connection (the waiting
// PAUSE then never answers: its connection is dropped), and a PAUSE outlives the admin connection that sent it.
// So a paused database is resumed by whoever finds it paused: the swap itself, or recovery of a dead job.

/** Where an app's PgBouncer admin console is, and PgBouncer's name for the app's database. */
export interface PgBouncerAdmin {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** The database name as PgBouncer's [databases] section has it (often the same as the server's). */
  database: string;
}

/** What is journaled before a PAUSE (never the password): enough for recovery to RESUME it. */
export const pauseDetail = z.object({ host: z.string().min(1).max(253), port: z.number().int().min(1).max(65535), database: dbNameField });

export function connectAdmin(a: PgBouncerAdmin): postgres.Sql {
  return postgres({
    host: a.host,
    port: a.port,
    user: a.user,
    password: a.password,
    database: "pgbouncer",
    max: 1,
    connect_timeout: 5,
    // The console knows no catalog (postgres.js's type fetch) and no prepared statements.
    fetch_types: false,
    prepare: false,
    onnotice: () => {},
  });
}

function describe(a: PgBouncerAdmin): string {
  return `PgBouncer ${a.host}:${a.port}`;
}

/** A database PAUSEd by pauseDatabase; resume() sends RESUME on the connection that paused it. */
export interface PausedDatabase {
  resume(): Promise<{ ok: true; state: "resumed" | "not_paused" } | { ok: false; error: string }>;
}

/**
 * PAUSE `a.database`, waiting at most `timeoutMs`. When it does not complete in time (a session-pooled client,
 * a transaction left open) the pause is cancelled with RESUME and an OpError says nothing was changed.
 * The admin connection stays open for the RESUME: clients wait from PAUSE to RESUME, and a new connection
 * (TCP, authentication) would add its own time to their wait.
 */
export async function pauseDatabase(a: PgBouncerAdmin, timeoutMs: number): Promise<PausedDatabase> {
  assertDbName(a.database, "PgBouncer database name");
  const sql = connectAdmin(a);
  let timer: NodeJS.Timeout | undefined;
  let held = false;
  try {
    const paused = sql.unsafe(`PAUSE ${a.database}`).simple().then(
      () => "paused" as const,
      (e: Error) => e,
    );
    const timedOut = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
    const outcome = await Promise.race([paused, timedOut]);
    if (outcome === "paused") {
      held = true;
      return { resume: () => resumeOn(sql, a) };
    }
    // Timed out or failed: whatever PgBouncer did with the PAUSE, take it back before saying so.
    const resumed = await resumeDatabase(a).then(
      () => "",
      (e: Error) => ` Resuming it failed too (${e.message}): run RESUME ${a.database}; on the admin console.`,
    );
    if (outcome === "timeout") {
      throw new OpError(
        "pgbouncer_busy",
        `${describe(a)} could not pause "${a.database}" within ${Math.round(timeoutMs / 100) / 10} s: a client holds a server connection ` +
          `(an open transaction, or session pooling). Nothing was changed.${resumed} Let those transactions end, or stop the app, and try again.`,
      );
    }
    throw new OpError("pgbouncer_failed", `${describe(a)} refused PAUSE ${a.database}: ${outcome.message}. Nothing was changed.${resumed}`);
  } finally {
    clearTimeout(timer);
    // A PAUSE still waiting never answers: end the connection without waiting for it.
    if (!held) await sql.end({ timeout: 0 }).catch(() => {});
  }
}

/** RESUME on the pausing connection; if that fails (the connection was lost), on new ones with retries. */
async function resumeOn(sql: postgres.Sql, a: PgBouncerAdmin): Promise<{ ok: true; state: "resumed" | "not_paused" } | { ok: false; error: string }> {
  try {
    await sql.unsafe(`RESUME ${a.database}`).simple();
    return { ok: true, state: "resumed" };
  } catch (e) {
    if (/is not paused/.test((e as Error).message)) return { ok: true, state: "not_paused" };
    return resumeWithRetry(a);
  } finally {
    void sql.end({ timeout: 2 }).catch(() => {});
  }
}

/** RESUME `a.database`. "not_paused" when PgBouncer says it was not paused (already resumed: fine). */
export async function resumeDatabase(a: PgBouncerAdmin): Promise<"resumed" | "not_paused"> {
  assertDbName(a.database, "PgBouncer database name");
  const sql = connectAdmin(a);
  try {
    await sql.unsafe(`RESUME ${a.database}`).simple();
    return "resumed";
  } catch (e) {
    if (/is not paused/.test((e as Error).message)) return "not_paused";
    throw e;
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
  }
}

/** RESUME, retried for a while (a console briefly unreachable must not leave the app's clients waiting). */
export async function resumeWithRetry(a: PgBouncerAdmin, attempts = 10): Promise<{ ok: true; state: "resumed" | "not_paused" } | { ok: false; error: string }> {
  let error = "";
  for (let i = 0; i < attempts; i++) {
    try {
      return { ok: true, state: await resumeDatabase(a) };
    } catch (e) {
      error = (e as Error).message;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
    }
  }
  return { ok: false, error };
}

/** Whether PgBouncer shows `a.database` paused (SHOW DATABASES); null when it does not list it. */
export async function isPaused(a: PgBouncerAdmin): Promise<boolean | null> {
  const sql = connectAdmin(a);
  try {
    const rows = await sql.unsafe("SHOW DATABASES").simple();
    const row = (rows as unknown as { name: string; paused: number | string }[]).find((r) => r.name === a.database);
    return row ? Number(row.paused) === 1 : null;
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
  }
}

/**
 * Whether PgBouncer has a pool for `a.database` (SHOW POOLS). A wildcard ("auto") database can be missing from SHOW
 * DATABASES while its clients are connected: PgBouncer's maintenance pass (janitor.c, 1.18) moves an auto database
 * whose pool had no client yet — one still logging in — to its idle list, which SHOW DATABASES does not show, until
 * the next lookup by name (a new client, or PAUSE) moves it back. Its pools stay listed.
 */
async function hasPool(a: PgBouncerAdmin): Promise<boolean> {
  const sql = connectAdmin(a);
  try {
    const rows = await sql.unsafe("SHOW POOLS").simple();
    return (rows as unknown as { database: string }[]).some((r) => r.database === a.database);
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
  }
}

/** For the settings form: the console answers and knows the database, or an OpError saying what is wrong. */
export async function checkPgBouncerConsole(a: PgBouncerAdmin): Promise<string> {
  const unreachable = (e: Error) => {
    throw new OpError("pgbouncer_unreachable", `${describe(a)}: the admin console did not answer (${e.message}). Check the URL, that the user is in admin_users, and the password.`);
  };
  const paused = await isPaused(a).catch(unreachable);
  if (paused === null && (await hasPool(a).catch(unreachable))) return `PgBouncer's admin console answers and knows ${a.database} (it has a pool, though SHOW DATABASES omits it for now): swaps will pause it. `;
  if (paused === null) {
    // A wildcard [databases] entry lists a database only once a client has used it; PAUSE refuses one not listed.
    return `PgBouncer's admin console answers but does not list ${a.database} (yet): the URL's path must be PgBouncer's name for the app's database; with a wildcard entry it appears once the app connects. A swap refuses to start while it is not listed. `;
  }
  return `PgBouncer's admin console answers and knows ${a.database}${paused ? " (it is PAUSED right now)" : ""}: swaps will pause it. `;
}
