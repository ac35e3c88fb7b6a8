"use server";

import { z } from "zod";
import { defineAction } from "@/lib/actions/wrapper";
import { currentSessionId, signOut } from "@/lib/auth";
import { revokeUserSessions } from "@/lib/db/queries/sessions";
import { changeOwnPassword } from "@/lib/db/queries/users";
import { changePasswordSchema } from "@/lib/validation/users";

/** Your own password: needs the current one; ends your other sessions and keeps this one. */
export const changeOwnPasswordAction = defineAction({
  name: "account.change_password",
  role: "viewer",
  schema: changePasswordSchema,
  handler: async ({ currentPassword, newPassword }, { user, note }) => {
    const ended = await changeOwnPassword(user.id, currentPassword, newPassword, (await currentSessionId()) ?? undefined);
    note(`password changed; ${ended} other session(s) ended`);
    return { ended };
  },
});

/** Ends every session of yours, this one too, and lands on the sign-in page. */
export const signOutEverywhereAction = defineAction({
  name: "account.sign_out_everywhere",
  role: "viewer",
  schema: z.object({}),
  handler: async (_input, { user, note }) => {
    const ended = await revokeUserSessions(user.id, "signed out everywhere");
    note(`ended ${ended} session(s)`);
    await signOut({ redirectTo: "/login" });
    return null;
  },
});
