import { z } from "zod";

// What a restore, rollback, release switch or undo changed: one record, one schema. The job writes it when
// it ends (also when it fails), recovery writes it for a job it finished or reverted, and everything that
// reads it — undo, the last-change panel, the CLI, recovery — parses it with changeRecordSchema.

export const changeKinds = ["rollback", "restore", "switch_release", "undo"] as const;
export type ChangeKind = (typeof changeKinds)[number];
/** Job types that change what the app runs: the change kinds, and a guarded release (a switch with a backup first). */
export const changeJobTypes = [...changeKinds, "release"] as const;

const health = z.object({
  http: z.object({ ok: z.boolean(), status: z.number().optional(), error: z.string().optional(), attempts: z.number(), ms: z.number() }).nullable(),
  db: z.object({ ok: z.boolean(), error: z.string().optional() }),
});

export const changeRecordSchema = z.object({
  kind: z.enum(changeKinds),
  /** Something the app uses changed (database swapped or `current` switched): the job can be undone. */
  changed: z.boolean(),
  swapped: z.boolean(),
  switched: z.boolean(),
  live: z.string(),
  /** The database that became live (for undo: the pre-rollback database put back). */
  staging: z.string().nullable(),
  /** Where the database that was live before is kept (a pinned pre-rollback backup). */
  preRollbackDb: z.string().nullable(),
  preRollbackBackupId: z.number().int().nullable(),
  /** `current` before and after. */
  previousRelease: z.string().nullable(),
  release: z.string().nullable(),
  restoredFrom: z.object({ backupId: z.number().int(), name: z.string(), method: z.enum(["dump", "clone"]) }).nullable(),
  undoOf: z.number().int().nullable(),
  stagingCheck: z
    .object({
      tables: z.number(),
      rows: z.number(),
      /** The comparison with the backup's fingerprint (lib/ops/restore-fidelity.ts); differences are the explained ones. */
      fidelity: z
        .object({
          compared: z.boolean(),
          differences: z.array(z.object({ kind: z.string(), what: z.string(), backup: z.string(), staging: z.string(), explained: z.string().optional() })),
        })
        .optional(),
    })
    .nullable(),
  health: health.nullable(),
  lockedOutMs: z.number().nullable(),
  /** Recovery, not the job, finished or reverted it. */
  recovered: z.boolean().default(false),
  undo: z.object({ available: z.boolean(), hint: z.string() }),
});

export type ChangeRecord = z.infer<typeof changeRecordSchema>;

/** A job's stored result as a change record; null when it has none or it does not parse. */
export function parseChangeRecord(value: unknown): ChangeRecord | null {
  const r = changeRecordSchema.safeParse(value);
  return r.success ? r.data : null;
}

export interface ChangeFacts {
  kind: ChangeKind;
  live: string;
  /** The database meant to become live, and the name the live one gets (known before anything changes). */
  staging: string | null;
  preRollbackDb: string | null;
  preRollbackBackupId: number | null;
  /** `current` when the job started. */
  startRelease: string | null;
  restoredFrom: ChangeRecord["restoredFrom"];
  undoOf: number | null;
}

export interface ChangeOutcome {
  swapped: boolean;
  switched: boolean;
  /** `current` before the switch and after (when switched). */
  previousRelease: string | null;
  release: string | null;
  stagingCheck?: ChangeRecord["stagingCheck"];
  health?: ChangeRecord["health"];
  lockedOutMs?: number | null;
  recovered?: boolean;
}

/** The one way a change record is made: from what was planned and what happened. */
export function buildChangeRecord(f: ChangeFacts, o: ChangeOutcome): ChangeRecord {
  const changed = o.swapped || o.switched;
  const preRollbackDb = o.swapped ? f.preRollbackDb : null;
  const undoParts = [o.swapped ? `the database now kept as ${preRollbackDb}` : null, o.switched ? `release ${o.previousRelease}` : null].filter(Boolean);
  return changeRecordSchema.parse({
    kind: f.kind,
    changed,
    swapped: o.swapped,
    switched: o.switched,
    live: f.live,
    staging: o.swapped ? f.staging : null,
    preRollbackDb,
    preRollbackBackupId: o.swapped ? f.preRollbackBackupId : null,
    previousRelease: o.switched ? o.previousRelease : f.startRelease,
    release: o.switched ? o.release : (o.release ?? f.startRelease),
    restoredFrom: f.restoredFrom,
    undoOf: f.undoOf,
    stagingCheck: o.stagingCheck ?? null,
    health: o.health ?? null,
    lockedOutMs: o.lockedOutMs ?? null,
    recovered: o.recovered ?? false,
    undo: changed
      ? { available: true, hint: `${o.recovered ? "Recovery finished this operation. " : ""}Undo puts back ${undoParts.join(" and ")}.` }
      : { available: false, hint: "Nothing was changed." },
  });
}
