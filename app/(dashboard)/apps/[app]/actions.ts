"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { defineAction } from "@/lib/actions/wrapper";
import { requireAppBySlug } from "@/lib/db/queries/apps";
import { getBackup, setBackupPinned } from "@/lib/db/queries/backups";
import { recoverInterruptedJobs, startBackup } from "@/lib/jobs";
import { deleteBackup, startVerify } from "@/lib/jobs/backup-admin";
import { refreshApp } from "@/lib/jobs/refresh";
import { OpError } from "@/lib/ops/errors";
import { slugSchema } from "@/lib/validation/apps";
import { backupRefSchema, deleteBackupSchema, pinBackupSchema, startBackupSchema } from "@/lib/validation/backups";

const appAudit = { app: (input: { app: string }) => input.app };

export const startBackupAction = defineAction({
  name: "backups.start",
  role: "operator",
  schema: startBackupSchema,
  audit: appAudit,
  handler: async (input, { user }) => {
    const { app: slug, ...options } = input;
    const app = await requireAppBySlug(slug);
    const { jobId } = await startBackup({ ...options, app, actor: user.email, actorRole: user.role });
    revalidatePath(`/apps/${app.slug}`);
    return { jobId };
  },
});

export const verifyBackupAction = defineAction({
  name: "backups.verify",
  role: "operator",
  schema: backupRefSchema,
  audit: appAudit,
  handler: async (input, { user }) => {
    const app = await requireAppBySlug(input.app);
    const { jobId } = await startVerify(app, input.backupId, user.email);
    return { jobId };
  },
});

export const pinBackupAction = defineAction({
  name: "backups.pin",
  role: "operator",
  schema: pinBackupSchema,
  audit: appAudit,
  handler: async (input, { user }) => {
    const app = await requireAppBySlug(input.app);
    const backup = await getBackup(app.id, input.backupId);
    if (!backup) throw new OpError("not_found", `Backup #${input.backupId} is not a backup of ${app.slug}.`);
    if (!(await setBackupPinned(app.id, input.backupId, input.pinned, user))) {
      throw new OpError("forbidden", `${backup.name} was pinned by an admin${backup.pinnedBy ? ` (${backup.pinnedBy})` : ""}; only an admin can unpin it.`);
    }
    revalidatePath(`/apps/${app.slug}`);
    return { pinned: input.pinned };
  },
});

export const deleteBackupAction = defineAction({
  name: "backups.delete",
  role: "admin",
  schema: deleteBackupSchema,
  audit: appAudit,
  handler: async (input, { user }) => {
    const app = await requireAppBySlug(input.app);
    const result = await deleteBackup(app, input.backupId, input.confirm, user.email, { endSessions: input.endSessions });
    revalidatePath(`/apps/${app.slug}`);
    return result;
  },
});

export const refreshAppAction = defineAction({
  name: "apps.refresh",
  role: "operator",
  schema: z.object({ app: slugSchema }),
  audit: appAudit,
  handler: async (input) => {
    const app = await requireAppBySlug(input.app);
    await refreshApp(app.id);
    revalidatePath(`/apps/${app.slug}`);
    return { refreshed: true };
  },
});

export const recoverAppAction = defineAction({
  name: "apps.recover",
  role: "admin",
  schema: z.object({ app: slugSchema }),
  audit: appAudit,
  handler: async (input, { user }) => {
    const app = await requireAppBySlug(input.app);
    const reports = await recoverInterruptedJobs(user.email, app.id);
    revalidatePath(`/apps/${app.slug}`);
    return { reports };
  },
});
