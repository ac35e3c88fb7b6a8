import "server-only";
import { sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";

// Checks the audit log's hash chain (drizzle/*_audit-chain.sql): every row's hash matches its contents and
// the previous row's hash, the first row starts the chain, and the last row is the one the chain head names.
// The append-only trigger stops UPDATE, DELETE and TRUNCATE by the dashboard; this shows what a superuser
// did with the triggers disabled. A superuser who also rewrites every later hash and the head is caught only
// by comparing the head hash with one noted elsewhere (`audit verify` prints it).

export const GENESIS_HASH = "0".repeat(64);

export type ChainReport =
  | { ok: true; rows: number; headHash: string; lastId: number; notedAt?: number | null }
  | { ok: false; rows: number; headHash: string | null; brokenAt: number | null; reason: string };

type Row = { id: number; prev_hash: string | null; hash: string | null; expected: string | null };

/**
 * Walks the whole log in id order, a page at a time, in one read-only snapshot. `expectHash`: a head hash
 * noted earlier (outside the database); it must still be a row of the intact chain, else the chain was rewritten.
 */
export async function verifyAuditChain(pageSize = 2000, opts: { expectHash?: string } = {}): Promise<ChainReport> {
  return getDb().transaction(
    async (tx) => {
      const [head] = Array.from(
        await tx.execute<{ last_id: number; hash: string; rows: number }>(sql`select last_id::bigint::float8 as last_id, hash, rows::float8 as rows from audit_chain_head where id`),
      );
      let prevHash = GENESIS_HASH;
      let prevId: number | null = null;
      let rows = 0;
      const broken = (brokenAt: number | null, reason: string): ChainReport => ({ ok: false, rows, headHash: head?.hash ?? null, brokenAt, reason });
      for (;;) {
        const page: Row[] = Array.from(
          await tx.execute<Row>(sql`
            select id::float8 as id, prev_hash, hash, audit_log_row_hash(a, a.prev_hash) as expected
            from audit_log a where a.id > ${prevId ?? 0} order by a.id limit ${pageSize}`),
        );
        for (const r of page) {
          if (!r.hash || !r.prev_hash) return broken(r.id, `row #${r.id} has no hash: it was written with the chain trigger disabled`);
          if (r.expected !== r.hash) return broken(r.id, `row #${r.id} was changed after it was written (its hash does not match its contents)`);
          if (r.prev_hash !== prevHash) {
            return broken(
              r.id,
              prevId === null
                ? `the chain does not start at row #${r.id}: the rows before it were removed (TRUNCATE, or DELETE with the triggers disabled)`
                : `row #${r.id} does not follow row #${prevId}: rows between them were removed, or the chain was re-linked`,
            );
          }
          prevHash = r.hash;
          prevId = r.id;
          rows++;
        }
        if (page.length < pageSize) break;
      }
      let noted: number | null = null;
      if (opts.expectHash) {
        const [row] = Array.from(await tx.execute<{ id: number }>(sql`select id::float8 as id from audit_log where hash = ${opts.expectHash} limit 1`));
        if (!row) return broken(null, `the noted hash ${opts.expectHash.slice(0, 16)}… is not in the log: the chain was rewritten or cut back`);
        noted = row.id;
      }
      if (!head) return broken(null, "the chain head (table audit_chain_head) is missing: it was deleted");
      if (prevId === null && head.rows === 0) return { ok: true, rows: 0, headHash: head.hash, lastId: 0 };
      if (prevHash !== head.hash || prevId !== head.last_id) {
        return broken(
          prevId,
          prevId === null
            ? `the log is empty but the chain head names row #${head.last_id}: every row was removed`
            : `the last row is #${prevId} but the chain head names row #${head.last_id}: rows at the end were removed, or the head was changed`,
        );
      }
      if (rows !== head.rows) return broken(prevId, `${rows} rows are linked but the chain head counts ${head.rows}: rows were removed and the chain re-linked`);
      return { ok: true, rows, headHash: head.hash, lastId: prevId ?? 0, notedAt: noted };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

/** The report as one line for the CLI and the audit page. */
export function describeChain(r: ChainReport): string {
  return r.ok ? `${r.rows} rows, chain intact (head ${r.headHash.slice(0, 16)}…)` : `chain broken: ${r.reason}`;
}

/** The chain head: how many rows it has linked and its last hash (cheap; no verification). */
export async function chainHead(): Promise<{ rows: number; lastId: number; hash: string } | undefined> {
  const rows = await getDb().execute<{ rows: number; last_id: number; hash: string }>(
    sql`select rows::float8 as rows, last_id::float8 as last_id, hash from audit_chain_head where id`,
  );
  const [h] = Array.from(rows);
  return h ? { rows: h.rows, lastId: h.last_id, hash: h.hash } : undefined;
}
