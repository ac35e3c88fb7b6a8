import { z } from "zod";
import { rowIdSchema } from "./ids";
import { validateLabel } from "@/lib/ops/backup-names";
import { slugSchema } from "./apps";

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());

/** Same rule as the ops layer (lib/ops/backup-names.ts validateLabel), so form, API and CLI agree. */
export const labelSchema = z
  .string()
  .trim()
  .superRefine((s, ctx) => {
    try {
      validateLabel(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: e instanceof Error ? e.message : "invalid label" });
    }
  });

const releaseNameSchema = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, "a release directory name");

export const startBackupSchema = z.object({
  app: slugSchema,
  method: z.preprocess(emptyAsUndefined, z.enum(["dump", "clone"]).optional()),
  /** A label makes a named backup (db_backup_<label>); without one it is manual. */
  label: z.preprocess(emptyAsUndefined, labelSchema.optional()),
  /** Pipelines: a backup taken automatically before a deploy (pruned by retention). */
  automatic: checkbox.default(false),
  forRelease: z.preprocess(emptyAsUndefined, releaseNameSchema.optional()),
  /** Clone only: disallow new connections, end the current sessions, clone, allow again. */
  endSessions: checkbox.default(false),
});
export type StartBackupInput = z.output<typeof startBackupSchema>;

export const backupRefSchema = z.object({
  app: slugSchema,
  backupId: rowIdSchema("a backup id"),
});

/** A backup named by the API's path: /api/apps/:app/backups/:id/… */
export const backupPathSchema = z.object({ app: slugSchema, id: rowIdSchema("a backup id") });

export const pinBackupSchema = backupRefSchema.extend({ pinned: checkbox });

export const deleteBackupSchema = backupRefSchema.extend({
  /** The operator types the backup's name to confirm. */
  confirm: z.string().trim().min(1, "type the backup's name to confirm"),
  endSessions: checkbox.default(false),
});

export const jobRefSchema = z.object({ app: slugSchema, jobId: rowIdSchema("a job id") });
