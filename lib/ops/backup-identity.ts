import type { OpContext } from "./context";
import { readIdentity, type DbIdentity } from "./db-identity";
import { storedFingerprint, takeFingerprint, type Fingerprint } from "./fidelity";
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
): Promise<{ result: T; fingerprint: Fingerprint }> {
  assertDbName(target.database);
  const sql = connectTarget(target, target.database);
  let done: { result: T; fingerprint: Fingerprint } | null = null;
  let dumping = false;
  try {
    await sql.begin("isolation level repeatable read read only", async (tx) => {
      // pg_dump turns row security off and fails rather than dump only the visible rows: so does the count.
      await tx`SET LOCAL row_security = off`;
      const [{ snapshot } = { snapshot: "" }] = await tx<{ snapshot: string }[]>`SELECT pg_export_snapshot() AS snapshot`;
      ctx.phase("fingerprinting");
      const fingerprint = storedFingerprint(await takeFingerprint(tx, { rows: true }));
      const rows = Object.values(fingerprint.rows ?? {}).reduce((a, b) => a + b, 0);
      ctx.log(`fingerprint: ${Object.keys(fingerprint.objects).length} schema objects, ${Object.keys(fingerprint.rows ?? {}).length} tables, ${rows.toLocaleString("en-US")} rows (the dump's own snapshot)`);
      dumping = true;
      done = { result: await dump(snapshot), fingerprint };
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
