import { z } from "zod";
import { apiRoute } from "@/lib/auth/api-auth";
import { requireAppBySlug } from "@/lib/db/queries/apps";
import { listBackups } from "@/lib/db/queries/backups";
import { startBackup } from "@/lib/jobs";
import { slugSchema } from "@/lib/validation/apps";
import { startBackupSchema } from "@/lib/validation/backups";

export const dynamic = "force-dynamic";

export const GET = apiRoute({
  name: "api.backups.list",
  role: "viewer",
  schema: z.object({ app: slugSchema }),
  handler: async (input) => listBackups((await requireAppBySlug(input.app)).id),
});

/** Starts a backup; answers with the job id to poll at /api/apps/<app>/jobs/<id>. */
export const POST = apiRoute({
  name: "api.backups.start",
  role: "operator",
  schema: startBackupSchema,
  audit: { app: (input) => input.app },
  handler: async (input, { user }) => {
    const { app: slug, ...options } = input;
    const app = await requireAppBySlug(slug);
    const { jobId } = await startBackup({ ...options, app, actor: user.email, actorRole: user.role });
    return { jobId, poll: `/api/apps/${app.slug}/jobs/${jobId}` };
  },
});
