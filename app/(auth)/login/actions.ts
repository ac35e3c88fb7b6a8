"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { defineAction } from "@/lib/actions/wrapper";
import { signInWithPassword, signOut } from "@/lib/auth";
import { credentialsSchema, SIGN_IN_FAILED } from "@/lib/auth/credentials";
import { OpError } from "@/lib/ops/errors";

/** Where to go after signing in: a path on this site only (never `//evil.example` or a full URL). */
const nextPath = z
  .string()
  .optional()
  .transform((p) => (p && /^\/(?![/\\])/.test(p) && !p.startsWith("/login") ? p : "/apps"));

export const signInAction = defineAction({
  name: "auth.sign_in",
  role: "public",
  schema: credentialsSchema.extend({ next: nextPath }),
  audit: { actor: (input) => input.email },
  handler: async ({ email, password, next }, { note }) => {
    const outcome = await signInWithPassword(email, password);
    if (!outcome.ok) {
      note(`refused: ${outcome.refused}`);
      throw new OpError("sign_in_failed", SIGN_IN_FAILED);
    }
    note("signed in");
    redirect(next);
  },
});

export const signOutAction = defineAction({
  name: "auth.sign_out",
  role: "viewer",
  schema: z.object({}),
  handler: async (_input, { note }) => {
    note("signed out");
    await signOut({ redirectTo: "/login" });
    return null;
  },
});
