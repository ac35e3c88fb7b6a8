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
    // The cookie never outlives the session's absolute end; the server-side row (lib/db/queries/sessions.ts)
    // is what decides, on every request.
    session: { strategy: "jwt", maxAge: Math.round(env().LIFEBOAT_SESSION_HOURS * 3600) },
    providers: [],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.uid = Number(user.id);
          token.role = (user as { role?: unknown }).role;
          token.sid = (user as { sid?: unknown }).sid;
        }
        return token;
      },
      session({ session, token }) {
        // Informational only: getSessionUser() checks the server-side session `sid` and re-reads the user row.
        const role = isRole(token.role) ? token.role : undefined;
        const sid = typeof token.sid === "string" ? token.sid : undefined;
        return { ...session, sid, user: { ...session.user, id: String(token.uid ?? ""), role } };
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
