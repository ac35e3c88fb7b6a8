import { z } from "zod";
import {
  clearLoginFailures,
  countRecentFailures,
  getLoginCandidate,
  recordLoginFailure,
} from "@/lib/db/queries/users";
import { dummyPasswordHash, verifyPassword } from "./password";
import type { Role } from "./roles";

export const THROTTLE_MAX_FAILURES = 5;
export const THROTTLE_WINDOW_MS = 15 * 60_000;

/** The one text every refused sign-in shows: it never says whether the email exists, is disabled or is locked. */
export const SIGN_IN_FAILED =
  "Sign-in failed: wrong email or password. More than 5 failed attempts lock the account for 15 minutes.";

export const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().min(3, "enter your email").max(320).email("enter your email address"),
  password: z.string().min(1, "enter your password").max(1000),
});

export type SignInRefusal = "invalid_input" | "throttled" | "unknown_email" | "wrong_password" | "disabled";
export type SignInCheck =
  | { ok: true; user: { id: number; email: string; role: Role } }
  | { ok: false; reason: SignInRefusal };

/**
 * The credentials check behind Auth.js's authorize(). More than 5 failures for an email within 15 minutes
 * refuse even the right password until older failures leave the window. Attempts refused while locked are
 * not counted again, so a locked-out engineer is not kept out longer by retrying.
 */
export async function checkCredentials(raw: unknown): Promise<SignInCheck> {
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: "invalid_input" };
  const { email, password } = parsed.data;

  if ((await countRecentFailures(email, THROTTLE_WINDOW_MS)) > THROTTLE_MAX_FAILURES) {
    return { ok: false, reason: "throttled" };
  }
  const candidate = await getLoginCandidate(email);
  // Compare against a dummy hash for unknown emails: equal timing, no account discovery.
  const matches = await verifyPassword(password, candidate?.passwordHash ?? (await dummyPasswordHash()));
  if (!candidate || !matches) {
    await recordLoginFailure(email);
    return { ok: false, reason: candidate ? "wrong_password" : "unknown_email" };
  }
  if (candidate.disabled) {
    await recordLoginFailure(email);
    return { ok: false, reason: "disabled" };
  }
  await clearLoginFailures(email);
  return { ok: true, user: { id: candidate.id, email: candidate.email, role: candidate.role } };
}
