import type PgBoss from "pg-boss";
import { env } from "@/lib/env";
import { startBoss } from "@/lib/jobs/queue";

// Deliveries travel on their own pg-boss queue, so a slow receiver never holds up a backup or a rollback.
// pg-boss does the retrying (retryLimit, retryBackoff: about DELAY·2^n seconds, jittered) and, when a worker
// dies mid-delivery, hands the message out again once it expires: delivery is AT LEAST ONCE. Every message
// carries its idempotency key (the event id), which receivers see as the payload's `id` and X-Lifeboat-Event-Id.
export const NOTIFY_QUEUE = "lifeboat-notify";

export interface NotifyQueueMessage {
  deliveryId: number;
  /** "event-<id>" or "test-<delivery id>". */
  key: string;
}

export async function ensureNotifyQueue(boss: PgBoss): Promise<void> {
  if (!(await boss.getQueue(NOTIFY_QUEUE))) await boss.createQueue(NOTIFY_QUEUE).catch(() => {});
}

export function notifySendOptions(): PgBoss.SendOptions {
  const e = env();
  return {
    retryLimit: e.LIFEBOAT_NOTIFY_RETRY_LIMIT,
    retryDelay: e.LIFEBOAT_NOTIFY_RETRY_DELAY_S,
    retryBackoff: true,
    // An attempt takes at most the timeout; a message still active well after that belongs to a dead worker.
    expireInSeconds: Math.max(30, Math.ceil((e.LIFEBOAT_NOTIFY_TIMEOUT_MS * 3) / 1000)),
  };
}

/** Earliest moment pg-boss tries again after failed attempt number `retryCount` (0-based): its backoff's lower bound. */
export function nextRetryAfter(retryCount: number, delaySec: number, now = new Date()): Date {
  return new Date(now.getTime() + delaySec * 2 ** Math.min(16, retryCount) * 1000);
}

/** Hands deliveries to the workers (web and CLI processes: start, send, stop — like dispatchJob). */
export async function queueDeliveries(messages: NotifyQueueMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const boss = await startBoss({ max: 1, supervise: false, schedule: false }, () => {});
  try {
    await ensureNotifyQueue(boss);
    for (const m of messages) await boss.send(NOTIFY_QUEUE, m, notifySendOptions());
  } finally {
    await boss.stop({ graceful: false, wait: true, timeout: 5000 }).catch(() => {});
  }
}
