import { bigserial, index, integer, pgEnum, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { apps, jobs } from "./schema";

// What happened to each release, and whether each app answers now (issue 8): the rollback default, the releases
// page, the apps list and the app page read these.

const tstz = () => timestamp({ withTimezone: true, mode: "date" });

export const releaseEventKindEnum = pgEnum("release_event_kind", [
  "deployed",
  "became_current",
  "rolled_back_from",
  "rolled_back_to",
  "health_failed",
  "marked_bad",
  "unmarked_bad",
]);
export const appLivenessStateEnum = pgEnum("app_liveness_state", ["up", "down"]);

/** What happened to each release, who did it and in which job: the rollback default and the releases page read it. */
export const releaseEvents = pgTable(
  "release_events",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    appId: integer()
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    release: text().notNull(),
    kind: releaseEventKindEnum().notNull(),
    actor: text().notNull(),
    jobId: integer().references(() => jobs.id, { onDelete: "set null" }),
    note: text(),
    at: tstz().notNull().defaultNow(),
  },
  (t) => [index().on(t.appId, t.release, t.at)],
);
export type ReleaseEvent = typeof releaseEvents.$inferSelect;

/** The worker's probe of each app's health URL (lib/jobs/app-probe.ts): up/down and since when. */
export const appLiveness = pgTable("app_liveness", {
  appId: integer()
    .primaryKey()
    .references(() => apps.id, { onDelete: "cascade" }),
  state: appLivenessStateEnum().notNull(),
  since: tstz().notNull().defaultNow(),
  checkedAt: tstz().notNull().defaultNow(),
  lastError: text(),
  /** HTTP status of the last answer, if any. */
  lastStatus: integer(),
});
export type AppLiveness = typeof appLiveness.$inferSelect;
