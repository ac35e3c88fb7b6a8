import { z } from "zod";
import { apiRoute } from "@/lib/auth/api-auth";
import { getAppBySlug } from "@/lib/db/queries/apps";
import { listBackups } from "@/lib/db/queries/backups";
import { startBackup } from "@/lib/jobs";
import { OpError } from "@/lib/ops/errors";
import { slugSchema } from "@/lib/validation/apps";
import { startBackupSchema } from "@/lib/validation/backups";

export const dynamic = "force-dynamic";

async function requireApp(slug: string) {
  const app = await getAppBySlug(slug);
  if (!app) throw new OpError("not_found", `No app named ${slug}.`);
  return app;
}

export const GET = apiRoute({
  name: "api.backups.list",
  role: "viewer",
  schema: z.object({ app: slugSchema }),
  handler: async (input) => listBackups((await requireApp(input.app)).id),
});

/** Starts a backup; answers with the job id to poll at /api/apps/<app>/jobs/<id>. */
export const POST = apiRoute({
  name: "api.backups.start",
  role: "operator",
  schema: startBackupSchema,
  audit: { app: (input) => input.app },
  handler: async (input, { user }) => {
    const { app: slug, ...options } = input;
    const app = await requireApp(slug);
    const { jobId } = await startBackup({ ...options, app, actor: user.email });
    return { jobId, poll: `/api/apps/${app.slug}/jobs/${jobId}` };
  },
});
