import { apiRoute } from "@/lib/auth/api-auth";
import { requireAppBySlug } from "@/lib/db/queries/apps";
import { startRollback } from "@/lib/jobs/rollback-job";
import { rollbackSchema, submitChecksOf } from "@/lib/validation/rollback";

export const dynamic = "force-dynamic";

/** Starts a rollback (admin). Body: { targetRelease?, restoreDatabase?, backupId?, confirm: "<app>" }. */
export const POST = apiRoute({
  name: "api.rollback.start",
  role: "admin",
  schema: rollbackSchema,
  audit: { app: (input) => input.app },
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
    return { jobId, poll: `/api/apps/${app.slug}/jobs/${jobId}` };
  },
});
