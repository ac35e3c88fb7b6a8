import "server-only";
import { eq, isNotNull, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { apps } from "@/lib/db/schema";
import { appLiveness, type AppLiveness } from "@/lib/db/schema-releases";

export type LivenessView = Pick<AppLiveness, "state" | "since" | "checkedAt" | "lastError" | "lastStatus">;

/** Apps with a health URL: what the worker probes. */
export async function listProbeTargets(): Promise<{ id: number; slug: string; healthUrl: string }[]> {
  const rows = await getDb().select({ id: apps.id, slug: apps.slug, healthUrl: apps.healthUrl }).from(apps).where(isNotNull(apps.healthUrl));
  return rows.filter((r): r is { id: number; slug: string; healthUrl: string } => !!r.healthUrl);
}

/**
 * Records one probe. `since` moves only when the state changes, so it says how long the app has been up or
 * down. Returns the previous state (null the first time) so the caller can log the transition.
 */
export async function recordProbe(appId: number, p: { up: boolean; error: string | null; status: number | null }): Promise<"up" | "down" | null> {
  const state = p.up ? "up" : "down";
  // Read and write under the row's lock: two workers probing at once must not both see the change (each
  // would announce app.down).
  return getDb().transaction(async (tx) => {
    const [prev] = await tx.select({ state: appLiveness.state }).from(appLiveness).where(eq(appLiveness.appId, appId)).for("update");
    await tx
      .insert(appLiveness)
      .values({ appId, state, lastError: p.error, lastStatus: p.status })
      .onConflictDoUpdate({
        target: appLiveness.appId,
        set: {
          state,
          since: sql`case when ${appLiveness.state} = excluded.state then ${appLiveness.since} else now() end`,
          checkedAt: sql`now()`,
          lastError: p.error,
          lastStatus: p.status,
        },
      });
    return prev?.state ?? null;
  });
}

export async function getLiveness(appId: number): Promise<LivenessView | undefined> {
  const [row] = await getDb()
    .select({ state: appLiveness.state, since: appLiveness.since, checkedAt: appLiveness.checkedAt, lastError: appLiveness.lastError, lastStatus: appLiveness.lastStatus })
    .from(appLiveness)
    .where(eq(appLiveness.appId, appId));
  return row;
}

export async function listLiveness(): Promise<Map<number, LivenessView>> {
  const rows = await getDb()
    .select({ appId: appLiveness.appId, state: appLiveness.state, since: appLiveness.since, checkedAt: appLiveness.checkedAt, lastError: appLiveness.lastError, lastStatus: appLiveness.lastStatus })
    .from(appLiveness);
  return new Map(rows.map(({ appId, ...v }) => [appId, v]));
}
