"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { defineAction } from "@/lib/actions/wrapper";
import { requireAppBySlug } from "@/lib/db/queries/apps";
import { setDrillSettings } from "@/lib/db/queries/drills";
import { markExistingReleasesComplete, startAdopt } from "@/lib/jobs/adopt-job";
import { startDrill } from "@/lib/jobs/drill-job";
import { slugSchema } from "@/lib/validation/apps";
import { backupRefSchema } from "@/lib/validation/backups";
import { drillSettingsSchema } from "@/lib/validation/drills";

const appAudit = { app: (input: { app: string }) => input.app };

/** Verify and adopt a dump file found on disk (a job: full read, scan, sha256). */
export const adoptBackupAction = defineAction({
  name: "backups.adopt",
  role: "operator",
  schema: backupRefSchema,
  audit: appAudit,
  handler: async (input, { user }) => {
    const app = await requireAppBySlug(input.app);
    const { jobId } = await startAdopt(app, input.backupId, user.email);
    revalidatePath(`/apps/${app.slug}`);
    return { jobId };
  },
});

/** A restore drill of one backup into a scratch database. */
export const drillBackupAction = defineAction({
  name: "backups.drill",
  role: "operator",
  schema: backupRefSchema,
  audit: appAudit,
  handler: async (input, { user }) => {
    const app = await requireAppBySlug(input.app);
    const { jobId } = await startDrill(app, input.backupId, user.email);
    revalidatePath(`/apps/${app.slug}`);
    return { jobId };
  },
});

export const saveDrillSettingsAction = defineAction({
  name: "apps.drill_settings",
  role: "admin",
  schema: drillSettingsSchema,
  audit: appAudit,
  handler: async (input) => {
    const app = await requireAppBySlug(input.app);
    await setDrillSettings(app.id, { smokeQuery: input.smokeQuery, drillAfterBackup: input.drillAfterBackup });
    revalidatePath(`/apps/${app.slug}/settings`);
    return { saved: true };
  },
});

/** Seed 000's releases have no completion marker: an operator vouches for them once. */
export const markReleasesCompleteAction = defineAction({
  name: "releases.mark_complete",
  role: "operator",
  schema: z.object({ app: slugSchema }),
  audit: appAudit,
  handler: async (input, { user }) => {
    const app = await requireAppBySlug(input.app);
    const result = await markExistingReleasesComplete(app, user.email);
    revalidatePath(`/apps/${app.slug}/releases`);
    return result;
  },
});
