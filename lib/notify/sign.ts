import crypto from "node:crypto";

// Webhook signatures. The receiver recomputes HMAC-SHA256(secret, "<timestamp>.<raw body>") and compares in
// constant time; the timestamp is inside what is signed, so an old request cannot be replayed with a fresh
// timestamp, and a receiver refuses timestamps outside its window (README "Notifications" has the snippet).

export const SIGNATURE_HEADER = "x-lifeboat-signature";
export const TIMESTAMP_HEADER = "x-lifeboat-timestamp";
export const EVENT_ID_HEADER = "x-lifeboat-event-id";
/** Default replay window for verifySignature: five minutes either way. */
export const REPLAY_WINDOW_SEC = 300;

/** "sha256=<hex>" over `${timestamp}.${body}`; timestamp in Unix seconds. */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${crypto.createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** What a receiver does: the signature matches and the timestamp is within the window of `nowSec`. */
export function verifySignature(v: { secret: string; timestamp: string | null; body: string; signature: string | null; nowSec?: number; windowSec?: number }): boolean {
  if (!v.timestamp || !v.signature || !/^\d{1,12}$/.test(v.timestamp)) return false;
  const ts = Number(v.timestamp);
  const now = v.nowSec ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (v.windowSec ?? REPLAY_WINDOW_SEC)) return false;
  const expected = Buffer.from(signBody(v.secret, ts, v.body));
  const given = Buffer.from(v.signature);
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}
