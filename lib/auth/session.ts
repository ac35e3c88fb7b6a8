import { redirect } from "next/navigation";
import { cache } from "react";
import { getUserById } from "@/lib/db/queries/users";
import { auth } from "./index";
import { FORBIDDEN_DIGEST_PREFIX, hasRole, isRole, roleLabels, type Role } from "./roles";

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
  const session = await auth();
  const id = Number((session?.user as { id?: string } | undefined)?.id);
  if (!Number.isInteger(id) || id <= 0) return null;
  const user = await getUserById(id);
  if (!user || user.disabled || !isRole(user.role)) return null;
  return { id: user.id, email: user.email, role: user.role };
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
