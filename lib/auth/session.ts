import { forbidden, redirect } from "next/navigation";
import { cache } from "react";
import { markMetadataUnreachable } from "@/lib/db/outage";
import { getUserById } from "@/lib/db/queries/users";
import { auth } from "./index";
import { hasRole, isRole, type Role } from "./roles";

export interface SessionUser {
  id: number;
  email: string;
  role: Role;
}

/**
 * The signed-in user, or null. The session cookie only says who; the role and the disabled flag come
 * from the users table on every request, so demoting or disabling someone takes effect at once.
 */
export const getSessionUser = cache(async (): Promise<SessionUser | null> => {
  try {
    const session = await auth();
    const id = Number((session?.user as { id?: string } | undefined)?.id);
    if (!Number.isInteger(id) || id <= 0) return null;
    const user = await getUserById(id);
    if (!user || user.disabled || !isRole(user.role)) return null;
    return { id: user.id, email: user.email, role: user.role };
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
