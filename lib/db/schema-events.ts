import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { apps, jobs } from "./schema";

// New areas keep their tables in their own lib/db/schema-<area>.ts (drizzle.config reads them all and
// lib/db/schemas.ts hands them to the client), so lib/db/schema.ts does not grow without end.

/**
 * Things that happened to an app that someone may want to hear about: a backup failed or is overdue, a
 * rollback started or ended, the app went down. Written by lib/events/emit.ts; notification rules read it.
 * `kind` is text, not an enum, so a new kind needs no migration (the union lives in lib/events/kinds.ts).
 */
export const appEvents = pgTable(
  "app_events",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    appId: integer()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    kind: text().notNull(),
    /** One human sentence ("Backup #12 failed: pg_dump: …"). */
    summary: text().notNull(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    jobId: integer().references(() => jobs.id, { onDelete: "set null" }),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.appId, t.at), index().on(t.kind, t.at)],
);
export type AppEvent = typeof appEvents.$inferSelect;
