import { z } from "zod";
import { defineSteps } from "@/lib/ops/journal";

// The backup job's own journal steps (the dump or the clone write theirs). Apart from backup-job.ts so that
// recovery reads them without importing the job runner.
export const backupJobSteps = defineSteps({
  started: [
    "backup:started",
    z.object({ backupId: z.number().int(), method: z.enum(["dump", "clone"]), name: z.string(), dir: z.string().nullable(), source: z.string() }),
  ],
  retentionDelete: ["retention:delete", z.object({ backupId: z.number().int(), name: z.string(), method: z.enum(["dump", "clone"]) })],
});
