import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, jsonb, pgEnum, pgTable, serial, text, timestamp, unique, uniqueIndex } from "drizzle-orm/pg-core";
import { apps, users } from "./schema";
import { appEvents } from "./schema-events";

// Notifications (issue 9): channels say where a message goes, rules say which events of which app reach
// which channel, deliveries record each attempt to send one event to one channel (the delivery log).

export const notifyChannelKind = pgEnum("notify_channel_kind", ["webhook", "slack", "email"]);
export const notifyDeliveryStatus = pgEnum("notify_delivery_status", ["pending", "retrying", "delivered", "failed"]);

/**
 * `config` holds what may be shown (SMTP host, port, user, from, to; the webhook URL with its credentials and
 * query removed); `secretEnc` holds, encrypted with lib/secrets.ts, everything that may not: the webhook URL
 * and HMAC secret, the Slack URL (itself a credential), the SMTP password. Never selected for display.
 */
export const notifyChannels = pgTable(
  "notify_channels",
  {
    id: serial().primaryKey(),
    name: text().notNull(),
    kind: notifyChannelKind().notNull(),
    config: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    secretEnc: text().notNull(),
    enabled: boolean().notNull().default(true),
    createdBy: integer().references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex().on(t.name)],
);
export type NotifyChannel = typeof notifyChannels.$inferSelect;

/** One rule: `kind` of app `appId` (null: every app) goes to `channelId`. */
export const notifyRules = pgTable(
  "notify_rules",
  {
    id: serial().primaryKey(),
    channelId: integer()
      .notNull()
      .references(() => notifyChannels.id, { onDelete: "cascade" }),
    appId: integer().references(() => apps.id, { onDelete: "cascade" }),
    kind: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.channelId, t.appId, t.kind).nullsNotDistinct(), index().on(t.kind)],
);
export type NotifyRule = typeof notifyRules.$inferSelect;

/**
 * One event for one channel. Unique per (channel, event): an event is handed to a channel once, however often
 * emit or the queue repeats itself. `eventId` null = a "send a test" from the page.
 */
export const notifyDeliveries = pgTable(
  "notify_deliveries",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    /** Null once the channel was deleted: the row stays in the log, ended as "channel deleted". */
    channelId: integer().references(() => notifyChannels.id, { onDelete: "set null" }),
    eventId: bigint({ mode: "number" }).references(() => appEvents.id, { onDelete: "cascade" }),
    kind: text().notNull(),
    summary: text().notNull(),
    status: notifyDeliveryStatus().notNull().default("pending"),
    attempts: integer().notNull().default(0),
    lastStatusCode: integer(),
    lastError: text(),
    nextRetryAt: timestamp({ withTimezone: true }),
    deliveredAt: timestamp({ withTimezone: true }),
    lastAttemptAt: timestamp({ withTimezone: true }),
    /** An attempt in flight holds the delivery until then (a lease, not a lock: no transaction spans the send). */
    claimedUntil: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex().on(t.channelId, t.eventId).where(sql`${t.eventId} is not null`),
    index().on(t.channelId, t.createdAt),
  ],
);
export type NotifyDelivery = typeof notifyDeliveries.$inferSelect;
