import { z } from "zod";
import { slugSchema } from "./apps";
import { jobIdSchema, releaseNameSchema } from "./rollback";

// The guarded release from a pipeline (lib/jobs/release-job.ts): shared by the API route and the CLI.

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());

/** Long-poll: hold the answer up to this many seconds until the release's outcome is final. */
export const MAX_WAIT_SECONDS = 300;
const waitSchema = z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS, `at most ${MAX_WAIT_SECONDS} seconds`).default(0));

export const activateReleaseSchema = z.object({
  app: slugSchema,
  name: releaseNameSchema,
  wait: waitSchema,
  /** The pre-release backup's method; default: the app's. */
  method: z.preprocess(emptyAsUndefined, z.enum(["dump", "clone"]).optional()),
  /** Clone only: end the app's sessions to take the clone. */
  endSessions: checkbox.default(false),
});

export const releaseStatusSchema = z.object({
  app: slugSchema,
  name: releaseNameSchema,
  /** Default: the newest release job for this release. */
  job: z.preprocess(emptyAsUndefined, jobIdSchema.optional()),
  wait: waitSchema,
});
