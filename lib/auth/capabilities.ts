import { hasRole, roleLabels, type Role } from "./roles";

// What the signed-in user can do to one app, and for everything they cannot: why, and what would fix it.
// The UI shows a disabled control with this reason instead of hiding it or letting it fail when run. The
// actions still check for themselves; this only decides what is offered.

export type Capability = { ok: true } | { ok: false; reason: string };

export const CAPABILITY_NEEDS = {
  backup: "operator",
  clone: "operator",
  verify: "operator",
  pin: "operator",
  deleteBackup: "admin",
  restore: "admin",
  rollback: "admin",
  rollbackWithDatabase: "admin",
  switchRelease: "admin",
  undo: "admin",
  settings: "admin",
} as const satisfies Record<string, Role>;

export type Action = keyof typeof CAPABILITY_NEEDS;

/** Actions that create a database on the app's server: a clone, and the staging copy a restore builds. */
const NEEDS_CREATEDB: ReadonlySet<Action> = new Set(["clone", "restore", "rollbackWithDatabase"]);

export interface AppPermissions {
  dbUser: string;
  /** From the last probe of the server; null when never probed (then the job finds out). */
  canCreateDb: boolean | null;
}

export function capability(role: Role, app: AppPermissions, action: Action): Capability {
  const needed = CAPABILITY_NEEDS[action];
  if (!hasRole(role, needed)) {
    return { ok: false, reason: `Needs the ${roleLabels[needed]} role; you are ${role === "admin" ? "an" : "a"} ${roleLabels[role]}. An admin can change your role on the Users page.` };
  }
  if (NEEDS_CREATEDB.has(action) && app.canCreateDb === false) {
    return {
      ok: false,
      reason: `The database role ${app.dbUser} cannot create databases (no CREATEDB), which ${action === "clone" ? "a clone" : "a restore"} needs. Fix: as a superuser run ALTER ROLE ${app.dbUser} CREATEDB; then refresh the app in Settings.`,
    };
  }
  return { ok: true };
}

export type Capabilities = Record<Action, Capability>;

export function capabilities(role: Role, app: AppPermissions): Capabilities {
  return Object.fromEntries((Object.keys(CAPABILITY_NEEDS) as Action[]).map((a) => [a, capability(role, app, a)])) as Capabilities;
}

/** The reason to show on a disabled control, or undefined when the action is allowed. */
export function whyNot(c: Capability): string | undefined {
  return c.ok ? undefined : c.reason;
}
