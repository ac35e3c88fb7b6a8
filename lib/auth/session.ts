import { redirect } from "next/navigation";
import { cache } from "react";
import { checkSession } from "@/lib/db/queries/sessions";
import { env } from "@/lib/env";
import { currentSessionId } from "./index";
import { FORBIDDEN_DIGEST_PREFIX, hasRole, roleLabels, type Role } from "./roles";

export interface SessionUser {
  id: number;
  email: string;
  role: Role;
}

/**
 * The signed-in user, or null. The cookie only names a server-side session; that row must be unrevoked,
 * within its absolute lifetime and its idle timeout, and its user enabled — checked on every request, so
 * sign-out, "sign out everywhere", a password change, a role change or disabling apply at once.
 */
export const getSessionUser = cache(async (): Promise<SessionUser | null> => {
  const sid = await currentSessionId();
  if (!sid) return null;
  const check = await checkSession(sid, env().LIFEBOAT_SESSION_IDLE_MINUTES);
  return check.ok ? check.user : null;
});

/**
 * For server components (pages and layouts): the user, or a redirect to /login, or a 403 error page
 * when the role is too low. Actions and API routes check for themselves (lib/actions, lib/auth/api-auth).
 */
export async function requireUser(role: Role = "viewer"): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect("/login");
  if (!hasRole(user.role, role)) {
    const error = new Error(`This page needs the ${roleLabels[role]} role; you are ${roleLabels[user.role]}.`);
    // Next keeps an error's digest on the way to the browser (it strips the message in production).
    (error as Error & { digest?: string }).digest = `${FORBIDDEN_DIGEST_PREFIX}${role}`;
    throw error;
  }
  return user;
}
