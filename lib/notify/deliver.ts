import type PgBoss from "pg-boss";
import { env } from "@/lib/env";
import {
  createEventDeliveries,
  createTestDelivery,
  getChannelForSend,
  getDeliveryForSend,
  claimDelivery,
  markDeliveryFailed,
  recordAttempt,
  CHANNEL_DELETED,
} from "@/lib/db/queries/notifications";
import type { NotifyMessage } from "./message";
import { ensureNotifyQueue, NOTIFY_QUEUE, nextRetryAfter, queueDeliveries, type NotifyQueueMessage } from "./queue";
import { sendToChannel } from "./send";

/** After an app event is written: one delivery per matching channel, handed to the queue. Never throws. */
export async function notifyEvent(eventId: number): Promise<void> {
  try {
    const ids = await createEventDeliveries(eventId);
    await queueDeliveries(ids.map((deliveryId) => ({ deliveryId, key: `event-${eventId}` })));
  } catch (e) {
    // The event row stays; its deliveries (if made) show "pending" in the log, which says what did not go out.
    console.error(`[notify] event #${eventId} was not handed to delivery: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** "Send a test": a delivery of its own, through the same queue and retries as a real event. */
export async function sendTestNotification(channelId: number, by: string): Promise<number> {
  const id = await createTestDelivery(channelId, `Test message from Lifeboat, sent by ${by}. If you can read this, the channel works.`);
  await queueDeliveries([{ deliveryId: id, key: `test-${id}` }]);
  return id;
}

export interface AttemptMeta {
  retryCount: number;
  retryLimit: number;
  retryDelay: number;
}

/**
 * One attempt of one delivery (the worker's queue handler). Throws when the attempt failed and pg-boss should
 * try again; returns when delivered, when there is nothing left to do (already delivered by an earlier run of
 * the same message, channel gone or disabled), or when this was the last try.
 */
export async function attemptDelivery(deliveryId: number, meta: AttemptMeta): Promise<void> {
  const d = await getDeliveryForSend(deliveryId);
  if (!d || d.status === "delivered" || d.status === "failed") return;
  // Read at every attempt: a retry after an edit goes to the channel's new target, with its current secret.
  const channel = d.channelId === null ? undefined : await getChannelForSend(d.channelId);
  if (!channel) return markDeliveryFailed(deliveryId, CHANNEL_DELETED);
  if (!channel.enabled) return markDeliveryFailed(deliveryId, "the channel was turned off before this could be sent");
  const message: NotifyMessage = {
    key: d.eventId ? `event-${d.eventId}` : `test-${d.id}`,
    kind: d.kind,
    summary: d.summary,
    app: d.appSlug ? { slug: d.appSlug } : null,
    at: d.at ?? d.createdAt,
    details: d.details ?? {},
  };
  const timeoutMs = env().LIFEBOAT_NOTIFY_TIMEOUT_MS;
  if (!(await claimDelivery(deliveryId, timeoutMs + 5000))) {
    throw new Error(`delivery #${deliveryId} is being attempted by another worker`);
  }
  const out = await sendToChannel(channel, message, timeoutMs);
  const last = meta.retryCount >= meta.retryLimit;
  await recordAttempt(deliveryId, out.ok ? out : { ...out, nextRetryAt: last ? null : nextRetryAfter(meta.retryCount, meta.retryDelay) });
  if (!out.ok && !last) throw new Error(out.error);
}

/** The worker's consumer of the notify queue. */
export async function startNotifyConsumer(boss: PgBoss, log: (line: string) => void): Promise<void> {
  await ensureNotifyQueue(boss);
  await boss.work<NotifyQueueMessage>(NOTIFY_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => {
    if (!job) return;
    try {
      await attemptDelivery(job.data.deliveryId, job);
    } catch (e) {
      log(`notification ${job.data.key} (delivery #${job.data.deliveryId}): ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  });
}
