import { z } from "zod";
import { rowIdSchema } from "@/lib/validation/ids";
import { apiRoute } from "@/lib/auth/api-auth";
import { getAppBySlug } from "@/lib/db/queries/apps";
import { getJob } from "@/lib/db/queries/jobs";
import { displayStatus } from "@/lib/jobs/job-status";
import { OpError } from "@/lib/ops/errors";
import { slugSchema } from "@/lib/validation/apps";

export const dynamic = "force-dynamic";

/** One job's live status: what the dashboard's progress bars poll. The app is part of the lookup. */
export const GET = apiRoute({
  name: "api.jobs.get",
  role: "viewer",
  schema: z.object({ app: slugSchema, id: rowIdSchema("a job id") }),
  handler: async (input) => {
    const app = await getAppBySlug(input.app);
    const job = app ? await getJob(input.id, app.id) : undefined;
    if (!job) throw new OpError("not_found", `No job #${input.id} for ${input.app}.`);
    // A running job whose lease expired is "lost contact", never "running" (rowStatus keeps the row's value).
    return { ...job, status: displayStatus(job), rowStatus: job.status };
  },
});
