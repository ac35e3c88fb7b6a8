"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { defineAction } from "@/lib/actions/wrapper";
import { currentSessionId, signInWithPassword, signOut } from "@/lib/auth";
import { credentialsSchema, SIGN_IN_FAILED, throttledMessage } from "@/lib/auth/credentials";
import { METADATA_UNREACHABLE } from "@/lib/auth/db-unreachable";
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S, makeDeviceToken } from "@/lib/auth/device";
import { safeNextPath } from "@/lib/auth/safe-next";
import { revokeSession } from "@/lib/db/queries/sessions";
import { OpError } from "@/lib/ops/errors";

export const signInAction = defineAction({
  name: "auth.sign_in",
  role: "public",
  // `next` is cut to a same-origin path or /apps; it never makes the call invalid.
  schema: credentialsSchema.extend({ next: z.unknown().transform(safeNextPath) }),
  audit: { actor: (input) => input.email },
  handler: async ({ email, password, next }, { note }) => {
    const outcome = await signInWithPassword(email, password);
    // authorize() wrote no entry of its own for the form: this call's entry says where from.
    if (outcome.facts.client) note(`client ${outcome.facts.client}, ${outcome.facts.device} device`);
    if (!outcome.ok) {
      note(`refused: ${outcome.reason}`);
      if (outcome.reason === "unavailable") throw new OpError("metadata_unreachable", METADATA_UNREACHABLE);
      if (outcome.reason === "throttled") throw new OpError("throttled", throttledMessage(outcome.retryAfterSeconds ?? null));
      throw new OpError("sign_in_failed", SIGN_IN_FAILED);
    }
    // This browser has now signed in to this account: it gets its own throttle counter from now on.
    const https = (await headers()).get("x-forwarded-proto") === "https";
    (await cookies()).set(DEVICE_COOKIE, makeDeviceToken(email), { httpOnly: true, sameSite: "lax", secure: https, path: "/", maxAge: DEVICE_COOKIE_MAX_AGE_S });
    note("signed in");
    redirect(next);
  },
});

export const signOutAction = defineAction({
  name: "auth.sign_out",
  role: "viewer",
  schema: z.object({}),
  handler: async (_input, { note }) => {
    const sid = await currentSessionId();
    if (sid) await revokeSession(sid, "signed out");
    note("signed out");
    await signOut({ redirectTo: "/login" });
    return null;
  },
});
