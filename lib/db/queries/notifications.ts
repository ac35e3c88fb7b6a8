import "server-only";
import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { apps } from "@/lib/db/schema";
import { appEvents } from "@/lib/db/schema-events";
import { notifyChannels, notifyDeliveries, notifyRules, type NotifyChannel } from "@/lib/db/schema-notify";
import { decryptSecret, encryptSecret } from "@/lib/secrets";

// Channels, rules and the delivery log. secret_enc is read in exactly two places (getChannelForSend, used by
// the sender, and changeChannel); everything shown selects the columns below, which do not include it.

export type ChannelSecret = { url?: string; hmacSecret?: string; password?: string };

const channelView = {
  id: notifyChannels.id,
  name: notifyChannels.name,
  kind: notifyChannels.kind,
  config: notifyChannels.config,
  enabled: notifyChannels.enabled,
  createdAt: notifyChannels.createdAt,
};

export async function createChannel(v: { name: string; kind: NotifyChannel["kind"]; config: Record<string, unknown>; secret: ChannelSecret; by: number | null }): Promise<number | null> {
  const [row] = await getDb()
    .insert(notifyChannels)
    .values({ name: v.name, kind: v.kind, config: v.config, secretEnc: encryptSecret(JSON.stringify(v.secret)), createdBy: v.by })
    .onConflictDoNothing({ target: notifyChannels.name })
    .returning({ id: notifyChannels.id });
  return row?.id ?? null;
}

/** Channels with their latest delivery (any event), newest channel first. No secrets. */
export async function listChannels() {
  const db = getDb();
  const last = db
    .select({
      channelId: notifyDeliveries.channelId,
      status: notifyDeliveries.status,
      at: sql<Date | null>`coalesce(${notifyDeliveries.lastAttemptAt}, ${notifyDeliveries.createdAt})`.as("last_at"),
      error: notifyDeliveries.lastError,
      rn: sql<number>`row_number() over (partition by ${notifyDeliveries.channelId} order by ${notifyDeliveries.id} desc)`.as("rn"),
    })
    .from(notifyDeliveries)
    .as("last");
  return db
    .select({ ...channelView, lastStatus: last.status, lastAt: last.at, lastError: last.error })
    .from(notifyChannels)
    .leftJoin(last, and(eq(last.channelId, notifyChannels.id), eq(last.rn, 1)))
    .orderBy(desc(notifyChannels.id));
}
export type ChannelView = Awaited<ReturnType<typeof listChannels>>[number];

/**
 * Deletes a channel and its rules. Its deliveries stay in the log; those still queued or retrying end as
 * "channel deleted" (an attempt already in flight may still land, and then says so).
 */
export async function deleteChannel(id: number): Promise<string | null> {
  return getDb().transaction(async (tx) => {
    await tx
      .update(notifyDeliveries)
      .set({ status: "failed", lastError: CHANNEL_DELETED, nextRetryAt: null })
      .where(and(eq(notifyDeliveries.channelId, id), inArray(notifyDeliveries.status, ["pending", "retrying"])));
    const [row] = await tx.delete(notifyChannels).where(eq(notifyChannels.id, id)).returning({ name: notifyChannels.name });
    return row?.name ?? null;
  });
}
export const CHANNEL_DELETED = "channel deleted";

export type ChannelChange = { name: string; enabled: boolean; config: Record<string, unknown>; secret?: ChannelSecret };

/**
 * Changes a channel from its current state (secret decrypted) under a row lock, so an edit and a secret rotation
 * at the same moment cannot undo each other. `change` returns the new state (secret undefined: keep it).
 * Returns null when there is no such channel, "name_taken" when another channel has the new name.
 */
export async function changeChannel<T>(id: number, change: (cur: ChannelForSend) => ChannelChange & { result: T }): Promise<T | null | "name_taken"> {
  try {
    return await getDb().transaction(async (tx) => {
      const [row] = await tx.select().from(notifyChannels).where(eq(notifyChannels.id, id)).for("update");
      if (!row) return null;
      const next = change(toSendView(row));
      await tx
        .update(notifyChannels)
        .set({ name: next.name, enabled: next.enabled, config: next.config, ...(next.secret ? { secretEnc: encryptSecret(JSON.stringify(next.secret)) } : {}) })
        .where(eq(notifyChannels.id, id));
      return next.result;
    });
  } catch (e) {
    if ((e as { code?: string }).code === "23505" || (e as { cause?: { code?: string } }).cause?.code === "23505") return "name_taken";
    throw e;
  }
}

const toSendView = (row: NotifyChannel) => ({ id: row.id, name: row.name, kind: row.kind, enabled: row.enabled, config: row.config, secret: JSON.parse(decryptSecret(row.secretEnc)) as ChannelSecret });

export async function setChannelEnabled(id: number, enabled: boolean): Promise<string | null> {
  const [row] = await getDb().update(notifyChannels).set({ enabled }).where(eq(notifyChannels.id, id)).returning({ name: notifyChannels.name });
  return row?.name ?? null;
}

/** The sender's view: config plus the decrypted secret. Never hand this to a page. */
export async function getChannelForSend(id: number) {
  const [row] = await getDb().select().from(notifyChannels).where(eq(notifyChannels.id, id));
  return row ? toSendView(row) : undefined;
}
export type ChannelForSend = ReturnType<typeof toSendView>;

export async function listRules() {
  return getDb()
    .select({ id: notifyRules.id, channelId: notifyRules.channelId, channelName: notifyChannels.name, appSlug: apps.slug, kind: notifyRules.kind })
    .from(notifyRules)
    .innerJoin(notifyChannels, eq(notifyChannels.id, notifyRules.channelId))
    .leftJoin(apps, eq(apps.id, notifyRules.appId))
    .orderBy(notifyChannels.name, notifyRules.kind, notifyRules.id);
}

/** False when the same rule exists already. */
export async function addRule(v: { channelId: number; appId: number | null; kind: string }): Promise<boolean> {
  const rows = await getDb().insert(notifyRules).values(v).onConflictDoNothing().returning({ id: notifyRules.id });
  return rows.length > 0;
}

export async function deleteRule(id: number): Promise<boolean> {
  return (await getDb().delete(notifyRules).where(eq(notifyRules.id, id)).returning({ id: notifyRules.id })).length > 0;
}

/**
 * One delivery row per enabled channel whose rules match the event (its app, or every app). Idempotent per
 * (channel, event): a second call for the same event returns only rows it newly made.
 */
export async function createEventDeliveries(eventId: number): Promise<number[]> {
  const db = getDb();
  const [ev] = await db.select({ appId: appEvents.appId, kind: appEvents.kind, summary: appEvents.summary }).from(appEvents).where(eq(appEvents.id, eventId));
  if (!ev) return [];
  const channels = await db
    .selectDistinct({ id: notifyRules.channelId })
    .from(notifyRules)
    .innerJoin(notifyChannels, eq(notifyChannels.id, notifyRules.channelId))
    .where(and(eq(notifyRules.kind, ev.kind), or(isNull(notifyRules.appId), eq(notifyRules.appId, ev.appId)), eq(notifyChannels.enabled, true)));
  if (channels.length === 0) return [];
  const rows = await db
    .insert(notifyDeliveries)
    .values(channels.map((c) => ({ channelId: c.id, eventId, kind: ev.kind, summary: ev.summary })))
    .onConflictDoNothing({ target: [notifyDeliveries.channelId, notifyDeliveries.eventId], where: sql`${notifyDeliveries.eventId} is not null` })
    .returning({ id: notifyDeliveries.id });
  return rows.map((r) => r.id);
}

export async function createTestDelivery(channelId: number, summary: string): Promise<number> {
  const [row] = await getDb().insert(notifyDeliveries).values({ channelId, kind: "test", summary }).returning({ id: notifyDeliveries.id });
  return row!.id;
}

/** A delivery with what its message needs (the event's app and details). */
export async function getDeliveryForSend(id: number) {
  const [row] = await getDb()
    .select({
      id: notifyDeliveries.id,
      channelId: notifyDeliveries.channelId,
      eventId: notifyDeliveries.eventId,
      kind: notifyDeliveries.kind,
      summary: notifyDeliveries.summary,
      status: notifyDeliveries.status,
      createdAt: notifyDeliveries.createdAt,
      appSlug: apps.slug,
      details: appEvents.details,
      at: appEvents.at,
    })
    .from(notifyDeliveries)
    .leftJoin(appEvents, eq(appEvents.id, notifyDeliveries.eventId))
    .leftJoin(apps, eq(apps.id, appEvents.appId))
    .where(eq(notifyDeliveries.id, id));
  return row;
}

export type AttemptRecord =
  | { ok: true; statusCode: number | null }
  | { ok: false; statusCode: number | null; error: string; nextRetryAt: Date | null };

export async function recordAttempt(id: number, a: AttemptRecord): Promise<void> {
  const now = new Date();
  await getDb()
    .update(notifyDeliveries)
    .set({
      attempts: sql`${notifyDeliveries.attempts} + 1`,
      lastAttemptAt: now,
      lastStatusCode: a.statusCode,
      claimedUntil: null,
      ...(a.ok
        ? { status: "delivered" as const, deliveredAt: now, lastError: null, nextRetryAt: null }
        : { status: a.nextRetryAt ? ("retrying" as const) : ("failed" as const), lastError: a.error.slice(0, 1000), nextRetryAt: a.nextRetryAt }),
    })
    .where(eq(notifyDeliveries.id, id));
}

/**
 * Takes the delivery for one attempt of at most `ms`, or returns false when it is delivered, given up, or held by
 * an attempt still in flight elsewhere (pg-boss handing the message out again after a slow attempt). A lease, not a
 * row lock held across the send: a transaction whose session is terminated mid-send took the worker down with it
 * (postgres.js writes to the closed socket: an uncaught TypeError). A worker killed mid-send leaves the lease to
 * run out, and its attempt is not recorded.
 */
export async function claimDelivery(id: number, ms: number): Promise<boolean> {
  const rows = await getDb()
    .update(notifyDeliveries)
    .set({ claimedUntil: sql`now() + ${ms} * interval '1 millisecond'` })
    .where(
      and(
        eq(notifyDeliveries.id, id),
        inArray(notifyDeliveries.status, ["pending", "retrying"]),
        or(isNull(notifyDeliveries.claimedUntil), lt(notifyDeliveries.claimedUntil, sql`now()`)),
      ),
    )
    .returning({ id: notifyDeliveries.id });
  return rows.length > 0;
}

export async function markDeliveryFailed(id: number, error: string): Promise<void> {
  await getDb().update(notifyDeliveries).set({ status: "failed", lastError: error, nextRetryAt: null }).where(eq(notifyDeliveries.id, id));
}

/** The delivery log, newest first; one channel or all. */
export async function listDeliveries(opts: { channelIds?: number[]; limit?: number } = {}) {
  return getDb()
    .select({
      id: notifyDeliveries.id,
      channelId: notifyDeliveries.channelId,
      channelName: notifyChannels.name,
      eventId: notifyDeliveries.eventId,
      kind: notifyDeliveries.kind,
      summary: notifyDeliveries.summary,
      status: notifyDeliveries.status,
      attempts: notifyDeliveries.attempts,
      lastStatusCode: notifyDeliveries.lastStatusCode,
      lastError: notifyDeliveries.lastError,
      nextRetryAt: notifyDeliveries.nextRetryAt,
      deliveredAt: notifyDeliveries.deliveredAt,
      createdAt: notifyDeliveries.createdAt,
    })
    .from(notifyDeliveries)
    .leftJoin(notifyChannels, eq(notifyChannels.id, notifyDeliveries.channelId))
    .where(opts.channelIds ? inArray(notifyDeliveries.channelId, opts.channelIds) : undefined)
    .orderBy(desc(notifyDeliveries.id))
    .limit(opts.limit ?? 50);
}
export type DeliveryView = Awaited<ReturnType<typeof listDeliveries>>[number];

/** For the rule picker. */
export async function listAppSlugs(): Promise<string[]> {
  return (await getDb().select({ slug: apps.slug }).from(apps).orderBy(apps.slug)).map((r) => r.slug);
}
