"use client";

import { useActionState } from "react";
import { signOutEverywhereAction } from "@/app/(dashboard)/account/actions";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import type { ActionResult } from "@/lib/actions/result";

/** Ends every session of yours, this one included (the action lands on /login). */
export function SignOutEverywhereButton() {
  const [state, action, pending] = useActionState<ActionResult<null> | null, FormData>(signOutEverywhereAction, null);
  return (
    <form action={action} className="space-y-2">
      {state && state.status !== "ok" && <Alert tone="error">{state.message}</Alert>}
      <Button variant="danger" pending={pending} pendingLabel="Signing out…">
        Sign out everywhere
      </Button>
    </form>
  );
}
