import { z } from "zod";
import { emailSchema } from "@/lib/validation/email";
import { getLoginCandidate, normalizeEmail } from "@/lib/db/queries/users";
import { clearThrottleKeys, recordSignInFailure, secondsBlocked, type ThrottleKey } from "@/lib/db/queries/sign-in-throttle";
import { isMetadataUnreachable } from "./db-unreachable";
import { dummyPasswordHash, verifyPassword } from "./password";
import type { Role } from "./roles";

/** The one text every refused sign-in shows: it never says whether the email exists or is disabled. */
export const SIGN_IN_FAILED = "Sign-in failed: wrong email or password.";
export const throttledMessage = (seconds: number | null) =>
  `Too many failed sign-ins for this account or from your address. ${seconds ? `Wait ${formatWait(seconds)}, then try again` : "Wait a little, then try again"} (an admin can unlock the account).`;
const formatWait = (s: number) => (s < 90 ? `${s} s` : `${Math.ceil(s / 60)} min`);

export const credentialsSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, "enter your password").max(1000),
});

/**
 * Growing delays, never a lock that refuses the right password for long. Each failure after the free ones
 * doubles the wait (1 s, 2 s, 4 s …) up to the cap; failures are forgotten an hour after the last one.
 * - client (the address): 5 free, up to 15 min — slows one machine guessing many accounts.
 * - account, for browsers that never signed in to it: 10 free, up to 5 min.
 * - device (a browser holding this account's device cookie): its own counter instead of the account's,
 *   so failures by anyone else never slow the account's owner down on a browser they used before.
 */
export const THROTTLE = {
  client: { free: 5, capSeconds: 900 },
  account: { free: 10, capSeconds: 300 },
  device: { free: 5, capSeconds: 300 },
} as const;

export type SignInRefusal = "invalid_input" | "throttled" | "unknown_email" | "wrong_password" | "disabled" | "unavailable";
export type SignInCheck =
  | { ok: true; user: { id: number; email: string; role: Role } }
  | { ok: false; reason: SignInRefusal; retryAfterSeconds?: number };

export interface SignInClient {
  ip: string;
  /** The nonce of a device cookie issued to this email, if the browser sent a valid one. */
  deviceNonce?: string | null;
}

export function throttleKeys(email: string, client: SignInClient): ThrottleKey[] {
  const e = normalizeEmail(email);
  return [
    { key: `client:${client.ip}`, email: null, ...THROTTLE.client },
    client.deviceNonce ? { key: `device:${client.deviceNonce}`, email: e, ...THROTTLE.device } : { key: `account:${e}`, email: e, ...THROTTLE.account },
  ];
}

/**
 * The credentials check behind Auth.js's authorize(). A waiting key refuses without looking at the
 * password and is not counted again. If the metadata database cannot be reached, says so and counts
 * nothing (there is nowhere to count it).
 */
export async function checkCredentials(raw: unknown, client: SignInClient): Promise<SignInCheck> {
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: "invalid_input" };
  const { email, password } = parsed.data;
  const keys = throttleKeys(email, client);
  try {
    const wait = await secondsBlocked(keys.map((k) => k.key));
    if (wait > 0) return { ok: false, reason: "throttled", retryAfterSeconds: wait };
    const candidate = await getLoginCandidate(email);
    // Compare against a dummy hash for unknown emails: equal timing, no account discovery.
    const matches = await verifyPassword(password, candidate?.passwordHash ?? (await dummyPasswordHash()));
    if (!candidate || !matches || candidate.disabled) {
      await recordSignInFailure(keys);
      return { ok: false, reason: !candidate ? "unknown_email" : !matches ? "wrong_password" : "disabled" };
    }
    // The client's own count stays: one account's success must not wash out guesses at other accounts.
    await clearThrottleKeys(keys.filter((k) => k.email !== null).map((k) => k.key));
    return { ok: true, user: { id: candidate.id, email: candidate.email, role: candidate.role } };
  } catch (error) {
    if (isMetadataUnreachable(error)) return { ok: false, reason: "unavailable" };
    throw error;
  }
}
