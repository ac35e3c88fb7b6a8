"use server";

import { revalidatePath } from "next/cache";
import { defineAction } from "@/lib/actions/wrapper";
import { requireAppBySlug } from "@/lib/db/queries/apps";
import { createSchedule, deleteSchedule, setScheduledRetention, setScheduleEnabled } from "@/lib/db/queries/schedules";
import { OpError } from "@/lib/ops/errors";
import { scheduledRetentionInputSchema, scheduleInputSchema, scheduleRefSchema, toggleScheduleSchema } from "@/lib/validation/schedules";

// Schedules and scheduled retention (admin, like the rest of the settings page). The worker mirrors the table
// into pg-boss within one watchdog interval (lib/jobs/schedules.ts); nothing here talks to pg-boss.
const appAudit = { app: (input: { app: string }) => input.app };
const settingsPath = (slug: string) => `/apps/${slug}/settings`;

export const createScheduleAction = defineAction({
  name: "schedules.create",
  role: "admin",
  schema: scheduleInputSchema,
  audit: appAudit,
  handler: async ({ app: slug, ...input }, { user, note }) => {
    const app = await requireAppBySlug(slug);
    const id = await createSchedule(app.id, input, user.email);
    note(`schedule #${id}: ${input.action} ${input.action === "backup" ? `(${input.method}) ` : ""}at "${input.cron}" ${input.timeZone ?? "UTC"}${input.enabled ? "" : ", disabled"}`);
    revalidatePath(settingsPath(app.slug));
    return { id };
  },
});

export const toggleScheduleAction = defineAction({
  name: "schedules.toggle",
  role: "admin",
  schema: toggleScheduleSchema,
  audit: appAudit,
  handler: async ({ app: slug, scheduleId, enabled }, { note }) => {
    const app = await requireAppBySlug(slug);
    if (!(await setScheduleEnabled(app.id, scheduleId, enabled))) throw new OpError("not_found", `Schedule #${scheduleId} is not a schedule of ${app.slug}.`);
    note(`schedule #${scheduleId} ${enabled ? "enabled" : "disabled"}`);
    revalidatePath(settingsPath(app.slug));
    return { enabled };
  },
});

export const deleteScheduleAction = defineAction({
  name: "schedules.delete",
  role: "admin",
  schema: scheduleRefSchema,
  audit: appAudit,
  handler: async ({ app: slug, scheduleId }, { note }) => {
    const app = await requireAppBySlug(slug);
    if (!(await deleteSchedule(app.id, scheduleId))) throw new OpError("not_found", `Schedule #${scheduleId} is not a schedule of ${app.slug}.`);
    note(`schedule #${scheduleId} deleted`);
    revalidatePath(settingsPath(app.slug));
    return { deleted: true };
  },
});

export const setScheduledRetentionAction = defineAction({
  name: "schedules.retention",
  role: "admin",
  schema: scheduledRetentionInputSchema,
  audit: appAudit,
  handler: async ({ app: slug, ...policy }, { note }) => {
    const app = await requireAppBySlug(slug);
    await setScheduledRetention(app.id, policy);
    note(policy.mode === "newest" ? `scheduled: newest ${policy.keep}` : `scheduled: GFS ${policy.daily}/${policy.weekly}/${policy.monthly} ${policy.timeZone ?? "UTC"}`);
    revalidatePath(settingsPath(app.slug));
    return { mode: policy.mode };
  },
});
