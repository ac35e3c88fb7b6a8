"use client";

import { useActionState } from "react";
import { signOutAction } from "@/app/(auth)/login/actions";
import type { ActionResult } from "@/lib/actions/result";

/** Signs out and lands on /login (the action redirects). Styled for the dark top bar. */
export function SignOutButton() {
  const [, action, pending] = useActionState<ActionResult<null> | null, FormData>(signOutAction, null);
  return (
    <form action={action}>
      <button
        type="submit"
        disabled={pending}
        className="rounded-md border border-white/25 px-2.5 py-1 text-sm font-medium text-slate-100 hover:bg-white/10 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-400 disabled:opacity-60"
      >
        {pending ? "Signing out…" : "Sign out"}
      </button>
    </form>
  );
}
