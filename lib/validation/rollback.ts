import { z } from "zod";
import { rowIdSchema } from "./ids";
import { slugSchema } from "./apps";

// Shared by the rollback dialog's actions, the API and the CLI. FormData values are strings: z.coerce for
// ids, and a checkbox is "on" when ticked and absent otherwise.

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());

/**
 * A release directory name: one path component, no `.`/`..`/`current`, nothing hidden. lib/ops/releases.ts
 * checks it again against the filesystem (real directory inside releases/, complete).
 */
export const releaseNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, "a release directory name from the releases list")
  .refine((s) => !s.includes("..") && s !== "current" && !/^current\.tmp-/.test(s), "a release directory name from the releases list");

export const backupIdSchema = rowIdSchema("a backup id");
export const jobIdSchema = rowIdSchema("a job id");

/** The operator types the app's slug to confirm; checked against `app` below. */
const confirmField = z.string().trim().min(1, "type the app's name to confirm");

function confirmMatches<T extends { app: string; confirm: string }>(v: T, ctx: z.RefinementCtx) {
  if (v.confirm !== v.app) ctx.addIssue({ code: "custom", path: ["confirm"], message: `type ${v.app} to confirm` });
}

/**
 * What the plan showed when the operator confirmed (lib/jobs/rollback-expect.ts): the start refuses when the
 * world changed since. Optional, so API callers and scripts that never previewed still work.
 */
const submitChecks = {
  expectCurrent: z.preprocess(emptyAsUndefined, z.string().max(200).optional()),
  expectBackupId: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).optional()),
  expectLastChange: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).optional()),
  /** The target release is marked bad and the operator means it anyway. */
  confirmBad: checkbox.default(false),
};

/** The submit checks as the start functions take them. */
export function submitChecksOf(v: { expectCurrent?: string; expectBackupId?: number; expectLastChange?: number; confirmBad: boolean }) {
  return {
    expect: { current: v.expectCurrent, backupId: v.expectBackupId, lastChangeJobId: v.expectLastChange },
    confirmBad: v.confirmBad,
  };
}

/** Roll back: target release (default: the one before current), optional database restore from a backup. */
export const rollbackSchema = z
  .object({
    app: slugSchema,
    targetRelease: z.preprocess(emptyAsUndefined, releaseNameSchema.optional()),
    restoreDatabase: checkbox.default(false),
    /** Only with restoreDatabase; default: the backup taken just before the release being rolled back was deployed. */
    backupId: z.preprocess(emptyAsUndefined, backupIdSchema.optional()),
    confirm: confirmField,
    ...submitChecks,
  })
  .superRefine(confirmMatches)
  .transform((v) => ({ ...v, backupId: v.restoreDatabase ? v.backupId : undefined }));
export type RollbackInput = z.output<typeof rollbackSchema>;

/** Restore the database from one backup, no code change. */
export const restoreSchema = z.object({ app: slugSchema, backupId: backupIdSchema, confirm: confirmField, ...submitChecks }).superRefine(confirmMatches);
export type RestoreInput = z.output<typeof restoreSchema>;

/** Switch `current` to a release (roll forward or back), code only. */
export const switchReleaseSchema = z.object({ app: slugSchema, release: releaseNameSchema, confirm: confirmField, ...submitChecks }).superRefine(confirmMatches);
export type SwitchReleaseInput = z.output<typeof switchReleaseSchema>;

/** Undo a restore, rollback, switch or undo job. */
export const undoSchema = z.object({ app: slugSchema, jobId: jobIdSchema, confirm: confirmField, ...submitChecks }).superRefine(confirmMatches);
export type UndoInput = z.output<typeof undoSchema>;

/** The dialog's plan preview: the same fields, no confirmation (it changes nothing). */
export const previewSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("rollback"),
    app: slugSchema,
    targetRelease: z.preprocess(emptyAsUndefined, releaseNameSchema.optional()),
    restoreDatabase: checkbox.default(false),
    backupId: z.preprocess(emptyAsUndefined, backupIdSchema.optional()),
  }),
  z.object({ kind: z.literal("restore"), app: slugSchema, backupId: backupIdSchema }),
  z.object({ kind: z.literal("switch_release"), app: slugSchema, release: releaseNameSchema }),
  z.object({ kind: z.literal("undo"), app: slugSchema, jobId: jobIdSchema }),
]);
export type PreviewInput = z.output<typeof previewSchema>;

/** Mark a release bad (never a default target; making it current needs confirmBad) or clear the mark. */
export const markReleaseSchema = z.object({
  app: slugSchema,
  release: releaseNameSchema,
  bad: checkbox.default(false),
  note: z.preprocess(emptyAsUndefined, z.string().trim().max(300).optional()),
});
export type MarkReleaseInput = z.output<typeof markReleaseSchema>;
