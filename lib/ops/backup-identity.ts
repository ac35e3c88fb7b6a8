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
  let done: { result: T; fingerprint: Fingerprint | null } | null = null;
  let dumping = false;
  try {
    await sql.begin("isolation level repeatable read read only", async (tx) => {
      // pg_dump turns row security off and fails rather than dump only the visible rows: so does the count.
      await tx`SET LOCAL row_security = off`;
      // A backend waiting for a lock notices its client is gone only if asked to check (PostgreSQL 14+).
      await tx`SELECT set_config(name, '1s', true) FROM pg_settings WHERE name = 'client_connection_check_interval'`;
      const [{ snapshot } = { snapshot: "" }] = await tx<{ snapshot: string }[]>`SELECT pg_export_snapshot() AS snapshot`;
      dumping = true;
      // pg_dump starts at once; the fingerprint is read beside it, in the same snapshot (its definitions,
      // like pg_dump's, come from the catalogs as they are now). Both wait alike for a table someone holds
      // locked; reading it costs a scan, not the dump's time. A fingerprint that cannot be read leaves the
      // backup without one (said in the log), never without the dump.
      const [result, fingerprint] = await Promise.all([
        // A failed or cancelled dump must not wait for the fingerprint (it may be waiting for a lock):
        // closing the connection ends the wait; the server notices within a second (below).
        dump(snapshot).catch(async (e: unknown) => {
          await sql.end({ timeout: 0 }).catch(() => {});
          throw e;
        }),
        (async (): Promise<Fingerprint | null> => {
          const schema = storedFingerprint(await takeFingerprint(tx, { rows: false }));
          return { ...schema, ...(await countRows(tx)) };
        })().catch((e: Error) => {
          ctx.log(`could not read the fingerprint (${e.message}); a restore of this backup will check tables and row counts only`);
          return null;
        }),
      ]);
      if (fingerprint) {
        const rows = Object.values(fingerprint.rows ?? {}).reduce((a, b) => a + b, 0);
        ctx.log(`fingerprint: ${Object.keys(fingerprint.objects).length} schema objects, ${Object.keys(fingerprint.rows ?? {}).length} tables, ${rows.toLocaleString("en-US")} rows (the dump's own snapshot)`);
      }
      done = { result, fingerprint };
    });
  } catch (e) {
    // pg_dump imported the snapshot at its start: once it has finished, losing the (read-only) exporting
    // session costs nothing.
    if (done) return done;
    if (dumping) throw e;
    throw connectionError(e, target, target.database);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
  return done!;
}

/** The fingerprint of a database nobody writes to (a clone just made, a staging copy). */
export async function fingerprintDatabase(target: TargetDb, db: string, opts: { rows: boolean }) {
  assertDbName(db);
  const sql = connectTarget(target, db);
  try {
    return await sql.begin("isolation level repeatable read read only", async (tx) => {
      await tx`SET LOCAL row_security = off`;
      return takeFingerprint(tx, opts);
    });
  } catch (e) {
    throw connectionError(e, target, db);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}
