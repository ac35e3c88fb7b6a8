"use server";

import { revalidatePath } from "next/cache";
import { defineAction } from "@/lib/actions/wrapper";
import { requireAppBySlug } from "@/lib/db/queries/apps";
import { markRelease } from "@/lib/jobs/release-history";
import { previewRollback, startRestore, startRollback, startSwitchRelease, startUndo } from "@/lib/jobs/rollback-job";
import { markReleaseSchema, previewSchema, restoreSchema, rollbackSchema, submitChecksOf, switchReleaseSchema, undoSchema } from "@/lib/validation/rollback";

const appAudit = { app: (input: { app: string }) => input.app };

function changed(slug: string) {
  revalidatePath(`/apps/${slug}`);
  revalidatePath(`/apps/${slug}/releases`);
}

/** The dialog's plan: every step in order, the data-loss window and the CLI equivalent. Changes nothing. */
export const previewRollbackAction = defineAction({
  name: "rollback.preview",
  role: "admin",
  schema: previewSchema,
  // A preview changes nothing: the audit log is for what people did, not what they looked at.
  audit: { ...appAudit, read: true },
  handler: async (input) => {
    const app = await requireAppBySlug(input.app);
    const preview = await previewRollback({ ...input, app } as Parameters<typeof previewRollback>[0]);
    return JSON.parse(JSON.stringify(preview)) as typeof preview;
  },
});

export const rollbackAction = defineAction({
  name: "rollback.start",
  role: "admin",
  schema: rollbackSchema,
  audit: appAudit,
  handler: async (input, { user, note }) => {
    const app = await requireAppBySlug(input.app);
    const { jobId, summary } = await startRollback({
      app,
      targetRelease: input.targetRelease,
      restoreDatabase: input.restoreDatabase,
      backupId: input.backupId,
      actor: user.email,
      ...submitChecksOf(input),
    });
    note(summary);
    changed(app.slug);
    return { jobId };
  },
});

export const restoreAction = defineAction({
  name: "restore.start",
  role: "admin",
  schema: restoreSchema,
  audit: appAudit,
  handler: async (input, { user, note }) => {
    const app = await requireAppBySlug(input.app);
    const { jobId, summary } = await startRestore({ app, backupId: input.backupId, actor: user.email, ...submitChecksOf(input) });
    note(summary);
    changed(app.slug);
    return { jobId };
  },
});

export const switchReleaseAction = defineAction({
  name: "release.switch",
  role: "admin",
  schema: switchReleaseSchema,
  audit: appAudit,
  handler: async (input, { user, note }) => {
    const app = await requireAppBySlug(input.app);
    const { jobId, summary } = await startSwitchRelease({ app, release: input.release, actor: user.email, ...submitChecksOf(input) });
    note(summary);
    changed(app.slug);
    return { jobId };
  },
});

export const undoAction = defineAction({
  name: "rollback.undo",
  role: "admin",
  schema: undoSchema,
  audit: appAudit,
  handler: async (input, { user, note }) => {
    const app = await requireAppBySlug(input.app);
    const { jobId, summary } = await startUndo({ app, jobId: input.jobId, actor: user.email, ...submitChecksOf(input) });
    note(summary);
    changed(app.slug);
    return { jobId };
  },
});

export const markReleaseAction = defineAction({
  name: "release.mark",
  role: "operator",
  schema: markReleaseSchema,
  audit: appAudit,
  handler: async (input, { user, note }) => {
    const app = await requireAppBySlug(input.app);
    await markRelease(app, input.release, input.bad, user.email, input.note);
    note(`${input.bad ? "marked bad" : "unmarked"}: ${input.release}`);
    changed(app.slug);
    return { release: input.release, bad: input.bad };
  },
});
