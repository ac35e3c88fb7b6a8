"use server";

import { revalidatePath } from "next/cache";
import { defineAction } from "@/lib/actions/wrapper";
import { generatePassword } from "@/lib/auth/password";
import { revokeUserSessions } from "@/lib/db/queries/sessions";
import { createUser, getUserById, resetUserPassword, setUserDisabled, setUserRole, unlockUser } from "@/lib/db/queries/users";
import { OpError } from "@/lib/ops/errors";
import { addUserSchema, setDisabledSchema, setRoleSchema, userIdSchema } from "@/lib/validation/users";

// Admin only: checked here by the wrapper and again inside each query (the acting user must be an admin).
// One-time passwords are returned to the admin once and never written to the audit log.

export const addUserAction = defineAction({
  name: "users.add",
  role: "admin",
  schema: addUserSchema,
  handler: async ({ email, name, role }, { user, note }) => {
    const password = generatePassword();
    const created = await createUser({ email, name: name ?? null, password, role }, user);
    note(`added ${created.email} as ${role}`);
    revalidatePath("/users");
    return { email: created.email, password };
  },
});

export const setUserRoleAction = defineAction({
  name: "users.set_role",
  role: "admin",
  schema: setRoleSchema,
  handler: async ({ userId, role }, { user, note }) => {
    const changed = await setUserRole(userId, role, user);
    note(`${changed.email} is now ${role}; their sessions were ended`);
    revalidatePath("/users");
    return null;
  },
});

export const setUserDisabledAction = defineAction({
  name: "users.set_disabled",
  role: "admin",
  schema: setDisabledSchema,
  handler: async ({ userId, disabled }, { user, note }) => {
    const changed = await setUserDisabled(userId, disabled, user);
    note(`${changed.email} ${disabled ? "disabled; sessions ended" : "enabled"}`);
    revalidatePath("/users");
    return null;
  },
});

export const resetUserPasswordAction = defineAction({
  name: "users.reset_password",
  role: "admin",
  schema: userIdSchema,
  handler: async ({ userId }, { user, note }) => {
    const password = generatePassword();
    const changed = await resetUserPassword(userId, password, user);
    note(`reset the password of ${changed.email}; sessions ended, sign-in waits cleared`);
    revalidatePath("/users");
    return { email: changed.email, password };
  },
});

export const unlockUserAction = defineAction({
  name: "users.unlock",
  role: "admin",
  schema: userIdSchema,
  handler: async ({ userId }, { user, note }) => {
    const cleared = await unlockUser(userId, user);
    note(`cleared ${cleared} sign-in wait(s)`);
    revalidatePath("/users");
    return { cleared };
  },
});

export const signOutUserEverywhereAction = defineAction({
  name: "users.sign_out_everywhere",
  role: "admin",
  schema: userIdSchema,
  handler: async ({ userId }, { user, note }) => {
    // Re-checked in the query's spirit: the acting admin is read again, not trusted from the session.
    const acting = await getUserById(user.id);
    if (acting?.role !== "admin" || acting.disabled) throw new OpError("forbidden", "Only an admin can sign other users out.");
    const target = await getUserById(userId);
    if (!target) throw new OpError("not_found", `There is no user #${userId}.`);
    const ended = await revokeUserSessions(userId, `signed out everywhere by ${user.email}`);
    note(`ended ${ended} session(s) of ${target.email}`);
    revalidatePath("/users");
    return { ended };
  },
});
