export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export const roleLabels: Record<Role, string> = {
  viewer: "Viewer",
  operator: "Operator",
  admin: "Admin",
};

/** What each role may do, in the words the UI uses. */
export const roleDescriptions: Record<Role, string> = {
  viewer: "sees apps, backups, jobs and the audit log",
  operator: "also backs up, verifies and pins",
  admin: "also restores, rolls back, deletes and manages apps",
};

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** viewer < operator < admin. An unknown role has no rights at all. */
export function hasRole(userRole: Role | string | null | undefined, needed: Role): boolean {
  if (!isRole(userRole)) return false;
  return rank[userRole] >= rank[needed];
}

/** The role just below `role`, or null for viewer (used to prove every action refuses it). */
export function roleBelow(role: Role): Role | null {
  return ROLES[rank[role] - 1] ?? null;
}
