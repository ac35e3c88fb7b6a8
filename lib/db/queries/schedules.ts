import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { apps } from "@/lib/db/schema";
import { schedules, type Schedule } from "@/lib/db/schema-schedules";
import type { ScheduledRetention, ScheduleInput } from "@/lib/validation/schedules";

export async function listSchedules(appId: number): Promise<Schedule[]> {
  return getDb().select().from(schedules).where(eq(schedules.appId, appId)).orderBy(asc(schedules.id));
}

/** What the worker mirrors into pg-boss's scheduler. */
export async function listEnabledSchedules(): Promise<Pick<Schedule, "id" | "cron" | "timeZone">[]> {
  return getDb().select({ id: schedules.id, cron: schedules.cron, timeZone: schedules.timeZone }).from(schedules).where(eq(schedules.enabled, true));
}

export async function getSchedule(id: number): Promise<Schedule | undefined> {
  const [row] = await getDb().select().from(schedules).where(eq(schedules.id, id));
  return row;
}

export async function createSchedule(appId: number, v: Omit<ScheduleInput, "app">, createdBy: string): Promise<number> {
  const [row] = await getDb()
    .insert(schedules)
    .values({ appId, label: v.label, cron: v.cron, timeZone: v.timeZone ?? null, action: v.action, method: v.method, enabled: v.enabled, createdBy })
    .returning({ id: schedules.id });
  return row!.id;
}

/** The app in the where: a schedule id of another app changes nothing. Returns whether a row changed. */
export async function setScheduleEnabled(appId: number, id: number, enabled: boolean): Promise<boolean> {
  const rows = await getDb()
    .update(schedules)
    .set({ enabled, updatedAt: sql`now()` })
    .where(and(eq(schedules.appId, appId), eq(schedules.id, id)))
    .returning({ id: schedules.id });
  return rows.length > 0;
}

export async function deleteSchedule(appId: number, id: number): Promise<boolean> {
  const rows = await getDb().delete(schedules).where(and(eq(schedules.appId, appId), eq(schedules.id, id))).returning({ id: schedules.id });
  return rows.length > 0;
}

export async function recordScheduleFiring(id: number, v: { outcome: "started" | "skipped" | "failed"; message: string; jobId?: number | null }): Promise<void> {
  await getDb()
    .update(schedules)
    .set({ lastFiredAt: sql`now()`, lastOutcome: v.outcome, lastMessage: v.message, lastJobId: v.jobId ?? null })
    .where(eq(schedules.id, id));
}

export async function setScheduledRetention(appId: number, policy: ScheduledRetention): Promise<void> {
  await getDb().update(apps).set({ scheduledRetention: policy, updatedAt: sql`now()` }).where(eq(apps.id, appId));
}
