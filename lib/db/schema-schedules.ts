import { boolean, integer, pgEnum, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { apps, backupMethodEnum, jobs } from "./schema";

const tstz = () => timestamp({ withTimezone: true, mode: "date" });

/** What a schedule starts: a backup, or a restore drill of the newest verified backup (helper D's job type). */
export const scheduleActionEnum = pgEnum("schedule_action", ["backup", "drill"]);

/**
 * Per-app schedules (issue 9). Each enabled row is mirrored into pg-boss's scheduler as its own queue
 * (lib/jobs/schedules.ts): pg-boss evaluates the cron in the time zone and fires once per slot across workers.
 * The last_* columns record what the last firing did, including "skipped: the app was busy".
 */
export const schedules = pgTable("schedules", {
  id: serial().primaryKey(),
  appId: integer()
    .notNull()
    .references(() => apps.id, { onDelete: "cascade" }),
  label: text().notNull().default(""),
  /** Five fields (minute hour day month weekday), validated in lib/validation/schedules.ts. */
  cron: text().notNull(),
  /** IANA name; null = UTC. */
  timeZone: text(),
  action: scheduleActionEnum().notNull().default("backup"),
  method: backupMethodEnum().notNull().default("dump"),
  enabled: boolean().notNull().default(true),
  createdBy: text().notNull(),
  createdAt: tstz().notNull().defaultNow(),
  updatedAt: tstz().notNull().defaultNow(),
  lastFiredAt: tstz(),
  /** started | skipped | failed */
  lastOutcome: text(),
  lastMessage: text(),
  lastJobId: integer().references(() => jobs.id, { onDelete: "set null" }),
});
export type Schedule = typeof schedules.$inferSelect;
