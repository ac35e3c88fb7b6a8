import "server-only";
import { and, eq, inArray, isNull } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { backups } from "@/lib/db/schema";
import { insertFoundRows, live } from "./backups";

// Dump files found in an app's backups directory that Lifeboat did not write (lib/ops/found-dumps.ts).

/** Files with no live row of this app become "found on disk" rows: unverified, no sha256, not restorable. */
export async function syncFoundDumps(appId: number, files: { name: string; sizeBytes: number; takenAt: Date; label: string | null }[]): Promise<number> {
  return insertFoundRows(appId, "dump", files, "found on disk");
}

/** Found dumps never adopted whose file is gone are marked deleted (removed outside Lifeboat). */
export async function markMissingFoundDumpsDeleted(appId: number, existing: Set<string>): Promise<void> {
  const rows = await getDb()
    .select({ id: backups.id, name: backups.name })
    .from(backups)
    .where(and(live(appId), eq(backups.method, "dump"), eq(backups.kind, "found"), isNull(backups.adoptedAt)));
  const gone = rows.filter((r) => !existing.has(r.name)).map((r) => r.id);
  if (gone.length) await getDb().update(backups).set({ deletedAt: new Date() }).where(inArray(backups.id, gone));
}

/** The adoption's verdict: the sha256 every later restore and download is held to. */
export async function recordAdoption(appId: number, id: number, v: { sha256: string; sizeBytes: number; format: "custom" | "plain"; by: string }): Promise<boolean> {
  const now = new Date();
  const rows = await getDb()
    .update(backups)
    .set({ sha256: v.sha256, sizeBytes: v.sizeBytes, sizeAt: now, format: v.format, verifiedAt: now, adoptedAt: now, adoptedBy: v.by, error: null })
    .where(and(live(appId), eq(backups.id, id), eq(backups.kind, "found"), isNull(backups.sha256)))
    .returning({ id: backups.id });
  return rows.length > 0;
}

/** Why a found file was refused, shown on its row; it stays unadopted. */
export async function recordAdoptionRefused(appId: number, id: number, reason: string): Promise<void> {
  await getDb()
    .update(backups)
    .set({ error: reason })
    .where(and(live(appId), eq(backups.id, id), isNull(backups.adoptedAt)));
}
