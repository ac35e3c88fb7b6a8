import type { NextAuthConfig } from "next-auth";
import { env, requireEnv } from "@/lib/env";
import { isRole } from "./roles";

/**
 * The part of the Auth.js config that needs no database: what proxy.ts uses to read the session cookie.
 * A function, so the environment is read per request and never at import (next build runs without it).
 */
export function authConfig(): NextAuthConfig {
  return {
    secret: requireEnv("AUTH_SECRET"),
    // Self-hosted behind whatever proxy the team runs: the Host header is the only URL we have.
    trustHost: true,
    pages: { signIn: "/login", error: "/login" },
    session: { strategy: "jwt", maxAge: Math.round(env().LIFEBOAT_SESSION_HOURS * 3600) },
    providers: [],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.uid = Number(user.id);
          token.role = (user as { role?: unknown }).role;
        }
        return token;
      },
      session({ session, token }) {
        // Informational only: getSessionUser() re-reads the user row, so role changes apply at once.
        const role = isRole(token.role) ? token.role : undefined;
        return { ...session, user: { ...session.user, id: String(token.uid ?? ""), role } };
      },
    },
    logger: {
      error(error) {
        // A refused sign-in is expected traffic (and audited); anything else is worth a log line.
        if ((error as { type?: string }).type === "CredentialsSignin") return;
        console.error(`[auth] ${error.name}: ${error.message}`);
      },
      warn(code) {
        console.warn(`[auth] warning: ${code}`);
      },
    },
  };
}
