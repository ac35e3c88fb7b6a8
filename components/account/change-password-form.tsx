"use client";

import { useActionState } from "react";
import { changeOwnPasswordAction } from "@/app/(dashboard)/account/actions";
import { Alert } from "@/components/ui/alert";
import { Field, Input } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import type { ActionResult } from "@/lib/actions/result";

type State = ActionResult<{ ended: number }> | null;

/** Your own password. Other sessions of yours end; this one stays signed in. */
export function ChangePasswordForm() {
  const [state, action] = useActionState<State, FormData>(changeOwnPasswordAction, null);
  const fieldErrors = state?.status === "invalid" ? state.fieldErrors : undefined;
  return (
    <form action={action} aria-label="Change your password" className="max-w-sm space-y-3">
      {state?.status === "error" && <Alert tone="error">{state.message}</Alert>}
      {state?.status === "ok" && (
        <Alert tone="success">
          Password changed.{state.data.ended > 0 ? ` ${state.data.ended} other session(s) of yours were signed out.` : ""}
        </Alert>
      )}
      <Field label="Current password" name="currentPassword" error={fieldErrors?.currentPassword}>
        <Input name="currentPassword" type="password" autoComplete="current-password" required />
      </Field>
      <Field label="New password" name="newPassword" hint="At least 12 characters." error={fieldErrors?.newPassword}>
        <Input name="newPassword" type="password" autoComplete="new-password" required />
      </Field>
      <Field label="New password again" name="confirmPassword" error={fieldErrors?.confirmPassword}>
        <Input name="confirmPassword" type="password" autoComplete="new-password" required />
      </Field>
      <SubmitButton variant="primary" pendingLabel="Changing…">
        Change password
      </SubmitButton>
    </form>
  );
}
