import { forbidden, redirect } from "next/navigation";
import { cache } from "react";
import { markMetadataUnreachable } from "@/lib/db/outage";
import { checkSession } from "@/lib/db/queries/sessions";
import { env } from "@/lib/env";
import { currentSessionId } from "./index";
import { hasRole, type Role } from "./roles";

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
  try {
    const sid = await currentSessionId();
    if (!sid) return null;
    const check = await checkSession(sid, env().LIFEBOAT_SESSION_IDLE_MINUTES);
    return check.ok ? check.user : null;
  } catch (e) {
    // Every page asks this first: an unreachable metadata database shows Lifeboat's own error page.
    throw markMetadataUnreachable(e);
  }
});

/**
 * For server components (pages and layouts): the user, or a redirect to /login, or the 403 page (HTTP 403,
 * app/(dashboard)/forbidden.tsx) when the role is too low. Actions and API routes check for themselves
 * (lib/actions, lib/auth/api-auth).
 */
export async function requireUser(role: Role = "viewer"): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect("/login");
  if (!hasRole(user.role, role)) forbidden();
  return user;
}
