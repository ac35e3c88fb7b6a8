import type { OpContext } from "./context";
import { readIdentity, type DbIdentity } from "./db-identity";
import { countRows, storedFingerprint, takeFingerprint, type Fingerprint } from "./fidelity";
import { assertDbName } from "./identifiers";
import { connectionError } from "./server-info";
import { connectTarget, withMaintenance, type TargetDb } from "./target";

// What a backup records besides its bytes: the database's identity (lib/ops/db-identity.ts) and a
// fingerprint of its contents (lib/ops/fidelity.ts), compared with the staging database before a swap.

export interface BackupRecord {
  identity: DbIdentity | null;
  fingerprint: Fingerprint | null;
}

/** The identity of `db` now (shared catalogs, read from the maintenance database). */
export async function captureIdentity(target: TargetDb, db: string): Promise<DbIdentity | null> {
  return withMaintenance(target, (sql) => readIdentity(sql, db)).catch((e: unknown) => {
    throw connectionError(e, target, db);
  });
}

/**
 * Runs `dump(snapshot)` while a repeatable-read transaction on the live database holds the exported
 * snapshot it reads, and fingerprints the database in that same transaction: the recorded row counts
 * are exactly the dump's. The transaction stays open until the dump ends (as pg_dump's own would).
 */
export async function withFingerprintedSnapshot<T>(
  target: TargetDb,
  ctx: OpContext,
  dump: (snapshot: string) => Promise<T>,
): Promise<{ result: T; fingerprint: Fingerprint | null }> {
  assertDbName(target.database);
  const sql = connectTarget(target, target.database);
  // Set inside the transaction; read after it (a holder: the compiler cannot see the callback assign them).
  const st: { dumping: Promise<T> | null; reading: Promise<Fingerprint | null> | null } = { dumping: null, reading: null };
  let pid = 0;
  // A reserved connection with BEGIN/COMMIT written by hand rather than sql.begin(): after a failure nothing
  // more is written to it (postgres.js crashes on a COMMIT or ROLLBACK queued just as the server ends the
  // session: "Cannot read properties of null (reading 'write')"), it is only closed.
  const tx = (async (): Promise<Fingerprint | null> => {
    const conn = await sql.reserve();
    await conn`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`;
    // pg_dump turns row security off and fails rather than dump only the visible rows: so does the count.
    await conn`SET LOCAL row_security = off`;
    // A backend waiting for a lock notices its client is gone only if asked to check (PostgreSQL 14+).
    await conn`SELECT set_config(name, '1s', true) FROM pg_settings WHERE name = 'client_connection_check_interval'`;
    const [row] = await conn<{ snapshot: string; pid: number }[]>`SELECT pg_export_snapshot() AS snapshot, pg_backend_pid() AS pid`;
    pid = row!.pid;
    // pg_dump starts at once; the fingerprint is read beside it, in the same snapshot (its definitions,
    // like pg_dump's, come from the catalogs as they are now). Both wait alike for a table someone holds
    // locked; reading costs a scan, not the dump's time.
    const dumping = (st.dumping = dump(row!.snapshot));
    let readError: Error | null = null;
    const reading = (st.reading = (async (): Promise<Fingerprint | null> => {
      const schema = storedFingerprint(await takeFingerprint(conn, { rows: false }));
      return { ...schema, ...(await countRows(conn)) };
    })().catch((e: Error) => {
      readError = e;
      return null;
    }));
    // Marked handled here; the caller awaits st.dumping itself.
    const failed = dumping.then(
      () => null,
      () => stopReading(target, pid, reading),
    );
    const fingerprint = await reading;
    await failed;
    if (readError) throw readError;
    // pg_dump has imported the snapshot long since: the read-only transaction can end.
    await conn`COMMIT`;
    conn.release();
    return fingerprint;
  })();
  try {
    let txError: unknown = null;
    const fingerprint = await tx.catch((e: unknown) => {
      txError = e;
      return null;
    });
    if (!st.dumping) throw connectionError(txError, target, target.database);
    // A failed dump is the answer; a failed fingerprint session is not: pg_dump imported the snapshot when it
    // started, and losing the read-only exporting session afterwards costs only the fingerprint.
    const result = await st.dumping;
    if (fingerprint) {
      const rows = Object.values(fingerprint.rows ?? {}).reduce((a, b) => a + b, 0);
      ctx.log(`fingerprint: ${Object.keys(fingerprint.objects).length} schema objects, ${Object.keys(fingerprint.rows ?? {}).length} tables, ${rows.toLocaleString("en-US")} rows (the dump's own snapshot)`);
    } else if (txError) {
      ctx.log(`could not read the fingerprint (${(txError as Error).message}); a restore of this backup will check tables and row counts only`);
    }
    return { result, fingerprint };
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/**
 * After a failed dump the fingerprint must not hold the job up (it may wait for a lock someone holds):
 * its statements are cancelled from the maintenance database until it gives up, the session ended if not.
 */
async function stopReading(target: TargetDb, pid: number, reading: Promise<unknown>): Promise<void> {
  let settled = false;
  void reading.finally(() => (settled = true));
  await withMaintenance(target, async (sql) => {
    for (let i = 0; i < 50 && !settled; i++) {
      await sql`SELECT pg_cancel_backend(${pid})`;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!settled) await sql`SELECT pg_terminate_backend(${pid})`;
  }).catch(() => {});
}

/** The fingerprint of a database nobody writes to (a clone just made, a staging copy). */
export async function fingerprintDatabase(target: TargetDb, db: string, opts: { rows: boolean }) {
  assertDbName(db);
  const sql = connectTarget(target, db);
  try {
    // BEGIN/COMMIT by hand, nothing written after a failure (see withFingerprintedSnapshot).
    const conn = await sql.reserve();
    await conn`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`;
    await conn`SET LOCAL row_security = off`;
    const print = await takeFingerprint(conn, opts);
    await conn`COMMIT`;
    conn.release();
    return print;
  } catch (e) {
    throw connectionError(e, target, db);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}
