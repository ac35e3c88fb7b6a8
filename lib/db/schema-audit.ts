import { bigint, bigserial, boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp } from "drizzle-orm/pg-core";

// The audit log (lib/db/queries/audit.ts, lib/db/queries/audit-chain.ts): its rows, the hash chain's head and
// the rate limit for refused anonymous calls. The chain itself is kept by a trigger (drizzle/*_audit-chain.sql).

const tstz = () => timestamp({ withTimezone: true, mode: "date" });

export const auditResultEnum = pgEnum("audit_result", ["ok", "invalid", "error", "denied"]);

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    at: tstz().notNull().defaultNow(),
    actorId: integer(),
    actorEmail: text(),
    appSlug: text(),
    action: text().notNull(),
    params: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    result: auditResultEnum().notNull(),
    message: text(),
    durationMs: integer(),
    /** How many events this row stands for: 1, or N for "N similar refused requests" (rate-limited). */
    count: integer().notNull().default(1),
    /** Hash chain, both set by the audit_log_chain trigger (drizzle/*_audit-chain.sql), never by the app. */
    prevHash: text(),
    hash: text(),
  },
  (t) => [index().on(t.at), index().on(t.appSlug), index().on(t.action)],
);
export type AuditEntry = typeof auditLog.$inferSelect;

/** The chain's last link (one row): lets `audit verify` notice rows missing at the end or a refilled table. */
export const auditChainHead = pgTable("audit_chain_head", {
  id: boolean().primaryKey().default(true),
  lastId: bigint({ mode: "number" }).notNull(),
  hash: text().notNull(),
  rows: bigint({ mode: "number" }).notNull(),
});

/**
 * Rate limit for refused unauthenticated calls: per (action, result, client) and minute, the first call
 * becomes an audit row, the rest only raise `suppressed` here until a summary row is written.
 */
export const auditThrottle = pgTable("audit_throttle", {
  bucket: text().primaryKey(),
  action: text().notNull(),
  windowStart: tstz().notNull(),
  suppressed: integer().notNull().default(0),
  firstSuppressedAt: tstz(),
  lastSuppressedAt: tstz(),
});
