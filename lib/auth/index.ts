import NextAuth, { AuthError, CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { authConfig } from "./config";
import { checkCredentials, type SignInRefusal } from "./credentials";

/**
 * A refused sign-in. `code` (which Auth.js may put in a URL) is the same for every cause; the cause is
 * kept in `reason` for the audit log only.
 */
export class SignInRefused extends CredentialsSignin {
  code = "credentials";
  constructor(readonly reason: SignInRefusal) {
    super(reason);
  }
}

export const { auth, signIn, signOut, handlers } = NextAuth(() => ({
  ...authConfig(),
  providers: [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials) {
        const result = await checkCredentials(credentials);
        if (!result.ok) throw new SignInRefused(result.reason);
        return { id: String(result.user.id), email: result.user.email, role: result.user.role };
      },
    }),
  ],
}));

/**
 * Signs in through Auth.js from a server action: on success the session cookie is set and the caller
 * redirects; a refusal comes back with its cause, which is for the audit log only.
 */
export async function signInWithPassword(email: string, password: string): Promise<{ ok: true } | { ok: false; refused: string }> {
  try {
    await signIn("credentials", { email, password, redirect: false });
    return { ok: true };
  } catch (error) {
    if (error instanceof SignInRefused) return { ok: false, refused: error.reason };
    if (error instanceof AuthError) return { ok: false, refused: error.type };
    throw error;
  }
}
