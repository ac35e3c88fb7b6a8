import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { apps, backups, jobs } from "./schema";

const tstz = () => timestamp({ withTimezone: true, mode: "date" });

/**
 * Restore drills (lib/jobs/drill-job.ts): a backup restored into a scratch database, compared with the
 * fingerprint recorded at backup time, smoke-queried, dropped. One row per drill: the evidence, and what
 * the rollback dialog predicts a restore's duration from.
 */
export const restoreDrills = pgTable(
  "restore_drills",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    appId: integer()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    backupId: integer()
      .notNull()
      .references(() => backups.id, { onDelete: "cascade" }),
    jobId: integer().references(() => jobs.id, { onDelete: "set null" }),
    ok: boolean().notNull(),
    /** The backup's size (file or clone) when drilled: predictions compare sizes. */
    backupBytes: bigint({ mode: "number" }),
    /** Restore into the scratch database alone; durationMs is the whole drill. */
    restoreMs: integer(),
    durationMs: integer().notNull(),
    tables: integer(),
    rows: bigint({ mode: "number" }),
    /** Tables whose row counts differed from the fingerprint, etc. (first few). */
    differences: jsonb().$type<string[]>().notNull().default([]),
    smoke: text(),
    error: text(),
    /** Database-level properties held to the backup's record, and those not comparable (lib/ops/drill-properties.ts); null before they were. */
    properties: jsonb().$type<{ compared: string[]; notCompared: string[] }>(),
    at: tstz().notNull().defaultNow(),
  },
  (t) => [index().on(t.appId, t.at), index().on(t.backupId, t.at)],
);
export type RestoreDrill = typeof restoreDrills.$inferSelect;
