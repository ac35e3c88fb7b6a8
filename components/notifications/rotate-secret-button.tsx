"use client";

import { useActionState, useEffect, useState } from "react";
import { rotateChannelSecretAction } from "@/app/(dashboard)/notifications/actions";
import { OneTimeSecret } from "@/components/users/one-time-secret";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import type { ActionResult } from "@/lib/actions/result";

type State = ActionResult<{ name: string; secret: string }> | null;

/** A new signing secret for a webhook: confirmed first (the receiver must be updated), then shown once. */
export function RotateSecretButton({ channelId, name }: { channelId: number; name: string }) {
  const [state, action, pending] = useActionState<State, FormData>(rotateChannelSecretAction, null);
  const [confirming, setConfirming] = useState(false);
  const [revealed, setRevealed] = useState<string | null>(null);
  useEffect(() => {
    if (state?.status !== "ok") return;
    setConfirming(false);
    setRevealed(state.data.secret);
  }, [state]);
  return (
    <>
      <ConfirmDialog
        triggerLabel="Rotate secret…"
        triggerSize="sm"
        title={`New signing secret for “${name}”?`}
        description="Lifeboat makes a new secret and shows it once. Every delivery from then on is signed with it, so the receiver rejects them until you give it the new secret. The old one stops working at once."
        confirmWord={name}
        confirmLabel="Make a new secret"
        pendingLabel="Rotating…"
        action={action}
        pending={pending}
        open={confirming}
        onOpenChange={setConfirming}
        error={state && state.status !== "ok" ? state.message : undefined}
      >
        <input type="hidden" name="channelId" value={channelId} />
      </ConfirmDialog>
      <Dialog open={revealed !== null} onClose={() => setRevealed(null)} title={`New signing secret of “${name}”`} testId="rotated-secret">
        {revealed && (
          <OneTimeSecret title="Copy it into the receiver now:" secret={revealed}>
            It is shown only this once. Deliveries are signed with it from now on.
          </OneTimeSecret>
        )}
        <DialogActions>
          <Button type="button" variant="primary" onClick={() => setRevealed(null)}>
            Done
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
