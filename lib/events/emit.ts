import { getDb } from "@/lib/db/client";
import { appEvents } from "@/lib/db/schema-events";
import { notifyEvent } from "@/lib/notify/deliver";
import type { AppEventKind } from "./kinds";

export interface AppEventInput {
  appId: number;
  kind: AppEventKind;
  summary: string;
  details?: Record<string, unknown>;
  jobId?: number | null;
}

/**
 * Records that something happened to an app. Never throws: an event that cannot be written must not fail the
 * backup or rollback it describes (the job's own row and log stay the record of truth). Returns the event id,
 * or null when it could not be written. Matching notification channels get one delivery each, queued.
 */
export async function emitAppEvent(ev: AppEventInput): Promise<number | null> {
  try {
    const [row] = await getDb()
      .insert(appEvents)
      .values({ appId: ev.appId, kind: ev.kind, summary: ev.summary, details: ev.details ?? {}, jobId: ev.jobId ?? null })
      .returning({ id: appEvents.id });
    // Notification rules decide who hears of it (lib/notify); notifyEvent never throws either.
    if (row) await notifyEvent(row.id);
    return row?.id ?? null;
  } catch {
    return null;
  }
}
