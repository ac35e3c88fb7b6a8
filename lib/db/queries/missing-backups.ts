import "server-only";
import { and, eq, inArray, ne } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { backups } from "@/lib/db/schema";
import { live } from "./backups";

// A Lifeboat-made dump whose file left the backups directory (moved by hand, or the directory setting changed)
// is "missing": not good, never a default, never restored or downloaded, until Verify finds the file back.

/** Lifeboat-made dumps that count as good (status ok): the ones a refresh looks for on disk. */
export async function listOkDumpNames(appId: number): Promise<{ id: number; name: string }[]> {
  return getDb()
    .select({ id: backups.id, name: backups.name })
    .from(backups)
    .where(and(live(appId), eq(backups.method, "dump"), eq(backups.status, "ok"), ne(backups.kind, "found")));
}

/**
 * Marks them missing, with where and when they were looked for. Only rows still ok: a running backup (its
 * .partial in flight) or one another job just changed is left as it is.
 */
export async function markDumpsMissing(appId: number, ids: number[], dir: string, at: Date): Promise<{ id: number; name: string }[]> {
  if (ids.length === 0) return [];
  const rows = await getDb()
    .update(backups)
    .set({ status: "missing", verifiedAt: null, error: `file not found in ${dir} at ${at.toISOString()}` })
    .where(and(live(appId), inArray(backups.id, ids), eq(backups.status, "ok"), eq(backups.method, "dump")))
    .returning({ id: backups.id, name: backups.name });
  return rows;
}

/** Verify found the file back with its recorded sha256 and read it back: good again. */
export async function markMissingFound(appId: number, id: number, verifiedAt: Date): Promise<boolean> {
  const rows = await getDb()
    .update(backups)
    .set({ status: "ok", verifiedAt, error: null })
    .where(and(live(appId), eq(backups.id, id), eq(backups.status, "missing")))
    .returning({ id: backups.id });
  return rows.length > 0;
}

/** How many good Lifeboat dumps the app has: the ones a change of its backups directory would make missing. */
export async function countOkDumps(appId: number): Promise<number> {
  return (await listOkDumpNames(appId)).length;
}
