import crypto from "node:crypto";
import { requireEnv } from "@/lib/env";

// Device cookies (OWASP "slow down online guessing attacks with device cookies"): a browser that has
// signed in to an account before carries proof of it, and is throttled on its own counter instead of the
// account's. Someone failing against the admin's email from elsewhere therefore never slows the admin's
// own browser down.

export const DEVICE_COOKIE = "lifeboat-device";
export const DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 3600;

function mac(email: string, nonce: string): string {
  return crypto.createHmac("sha256", requireEnv("AUTH_SECRET")).update(`device:${email}:${nonce}`).digest("base64url");
}

/** A new cookie value for this email: `<nonce>.<hmac>`. */
export function makeDeviceToken(email: string): string {
  const nonce = crypto.randomBytes(16).toString("base64url");
  return `${nonce}.${mac(email, nonce)}`;
}

/** The device's nonce when `token` was issued to this email, else null. */
export function deviceNonceFor(token: string | null | undefined, email: string): string | null {
  if (!token || token.length > 200) return null;
  const m = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const expected = Buffer.from(mac(email, m[1]!));
  const given = Buffer.from(m[2]!);
  return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? m[1]! : null;
}
