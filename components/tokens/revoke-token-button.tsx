"use client";

import { useActionState } from "react";
import { revokeTokenAction } from "@/app/(dashboard)/tokens/actions";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import type { ActionResult } from "@/lib/actions/result";

/** Revokes one token after its name is typed; pipelines using it get 401 from the next request on. */
export function RevokeTokenButton({ tokenId, name }: { tokenId: number; name: string }) {
  const [state, action, pending] = useActionState<ActionResult<unknown> | null, FormData>(revokeTokenAction, null);
  return (
    <ConfirmDialog
      triggerLabel="Revoke…"
      triggerSize="sm"
      title={`Revoke the token “${name}”?`}
      description="Anything using it is refused from its next request on. This cannot be undone: make a new token instead."
      confirmWord={name}
      confirmLabel="Revoke token"
      pendingLabel="Revoking…"
      action={action}
      pending={pending}
      error={state && state.status !== "ok" ? state.message : undefined}
    >
      <input type="hidden" name="tokenId" value={tokenId} />
    </ConfirmDialog>
  );
}
