import "server-only";
import { and, desc, eq, inArray, ne } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { releaseEvents, type ReleaseEvent } from "@/lib/db/schema-releases";
import { verdictsOf, type ReleaseVerdict } from "@/lib/ops/release-verdicts";

export type ReleaseEventKind = ReleaseEvent["kind"];
export type { ReleaseVerdict };
export type ReleaseEventView = Pick<ReleaseEvent, "id" | "release" | "kind" | "actor" | "jobId" | "note" | "at">;

const columns = {
  id: releaseEvents.id,
  release: releaseEvents.release,
  kind: releaseEvents.kind,
  actor: releaseEvents.actor,
  jobId: releaseEvents.jobId,
  note: releaseEvents.note,
  at: releaseEvents.at,
};

export async function recordReleaseEvents(
  appId: number,
  events: { release: string; kind: ReleaseEventKind; actor: string; jobId?: number | null; note?: string | null }[],
): Promise<void> {
  if (events.length === 0) return;
  await getDb()
    .insert(releaseEvents)
    .values(events.map((e) => ({ appId, release: e.release, kind: e.kind, actor: e.actor, jobId: e.jobId ?? null, note: e.note ?? null })));
}

/** Newest first. */
export async function listReleaseEvents(appId: number, limit = 200): Promise<ReleaseEventView[]> {
  return getDb().select(columns).from(releaseEvents).where(eq(releaseEvents.appId, appId)).orderBy(desc(releaseEvents.id)).limit(limit);
}

/** Per release, the newest events that decide whether it is marked bad and whether it was last healthy. */
export async function releaseVerdicts(appId: number): Promise<Map<string, ReleaseVerdict>> {
  const rows = await getDb()
    .select({ release: releaseEvents.release, kind: releaseEvents.kind })
    .from(releaseEvents)
    .where(and(eq(releaseEvents.appId, appId), inArray(releaseEvents.kind, ["marked_bad", "unmarked_bad", "health_failed", "became_current", "rolled_back_to"])))
    .orderBy(desc(releaseEvents.id));
  return verdictsOf(rows);
}

/** Whether any release event names this job (the health policy's "already looked at it" for interrupted jobs). */
/**
 * Whether a change job recorded what its switch led to (became current, health failed, rolled back …). A guarded
 * release's "deployed" does not count: it is written before the switch, so a release that died during its health
 * check has it and still needs its check after recovery.
 */
export async function hasChangeOutcomeEvents(jobId: number): Promise<boolean> {
  const [row] = await getDb()
    .select({ id: releaseEvents.id })
    .from(releaseEvents)
    .where(and(eq(releaseEvents.jobId, jobId), ne(releaseEvents.kind, "deployed")))
    .limit(1);
  return !!row;
}
