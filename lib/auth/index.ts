import NextAuth, { AuthError, CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { revokeSession } from "@/lib/db/queries/sessions";
import { authConfig } from "./config";
import type { SignInRefusal } from "./credentials";
import { formSignIn, type FormSignInFacts } from "./form-sign-in";
import { authorizeSignIn } from "./sign-in";

/**
 * A refused sign-in. `code` ends up in the URL when Auth.js's own callback refuses (/login?code=…): it
 * says only "credentials", "throttled" or "unavailable"; the exact cause is in the audit log.
 */
export class SignInRefused extends CredentialsSignin {
  constructor(
    readonly reason: SignInRefusal,
    readonly retryAfterSeconds?: number,
  ) {
    super(reason);
    this.code = reason === "throttled" || reason === "unavailable" ? reason : "credentials";
  }
}

export const { auth, signIn, signOut, handlers } = NextAuth(() => ({
  ...authConfig(),
  providers: [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, request) {
        const result = await authorizeSignIn(credentials, request);
        if (!result.ok) throw new SignInRefused(result.reason, result.retryAfterSeconds);
        return { id: String(result.user.id), email: result.user.email, role: result.user.role, sid: result.user.sid };
      },
    }),
  ],
  events: {
    // Auth.js's own /api/auth/signout: end the server-side session too, not only the cookie.
    async signOut(message) {
      const sid = "token" in message ? message.token?.sid : undefined;
      if (typeof sid === "string") await revokeSession(sid, "signed out").catch(() => {});
    },
  },
}));

export type SignInOutcome = ({ ok: true } | { ok: false; reason: SignInRefusal | string; retryAfterSeconds?: number }) & { facts: FormSignInFacts };

/**
 * Signs in through Auth.js from a server action: on success the session cookie is set and the caller
 * redirects; a refusal comes back with its cause.
 */
export async function signInWithPassword(email: string, password: string): Promise<SignInOutcome> {
  const facts: FormSignInFacts = {};
  try {
    await formSignIn.run(facts, () => signIn("credentials", { email, password, redirect: false }));
    return { ok: true, facts };
  } catch (error) {
    if (error instanceof SignInRefused) return { ok: false, reason: error.reason, retryAfterSeconds: error.retryAfterSeconds, facts };
    if (error instanceof AuthError) return { ok: false, reason: error.type, facts };
    throw error;
  }
}

/** The server-side session id behind the current request's cookie, if any. */
export async function currentSessionId(): Promise<string | null> {
  const session = await auth();
  const sid = (session as { sid?: unknown } | null)?.sid;
  return typeof sid === "string" ? sid : null;
}
