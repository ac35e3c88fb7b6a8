"use client";

import { useActionState } from "react";
import { addUserAction } from "@/app/(dashboard)/users/actions";
import { Alert } from "@/components/ui/alert";
import { Field, Input, Select } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import type { ActionResult } from "@/lib/actions/result";
import { ROLES, roleDescriptions, roleLabels } from "@/lib/auth/roles";
import { OneTimeSecret } from "./one-time-secret";

type State = ActionResult<{ email: string; password: string }> | null;

/** Adds a user with a generated password, shown once to the admin to pass on. */
export function AddUserForm() {
  const [state, action] = useActionState<State, FormData>(addUserAction, null);
  const fieldErrors = state?.status === "invalid" ? state.fieldErrors : undefined;
  return (
    <div className="space-y-3">
      <form action={action} aria-label="Add a user" className="grid gap-3 sm:grid-cols-[2fr_1.5fr_1fr_auto] sm:items-start">
        <Field label="Email" name="email" error={fieldErrors?.email}>
          <Input name="email" type="email" autoComplete="off" required />
        </Field>
        <Field label="Name (optional)" name="name" error={fieldErrors?.name}>
          <Input name="name" autoComplete="off" />
        </Field>
        <Field label="Role" name="role" error={fieldErrors?.role}>
          <Select name="role" defaultValue="viewer">
            {ROLES.map((r) => (
              <option key={r} value={r} title={roleDescriptions[r]}>
                {roleLabels[r]}
              </option>
            ))}
          </Select>
        </Field>
        <SubmitButton variant="primary" className="sm:mt-6" pendingLabel="Adding…">
          Add user
        </SubmitButton>
      </form>
      {state?.status === "error" && <Alert tone="error">{state.message}</Alert>}
      {state?.status === "ok" && (
        <OneTimeSecret title={`Added ${state.data.email}. Their password:`} secret={state.data.password}>
          Give it to them over a channel you trust; it is shown only this once. They can change it on their Account page.
        </OneTimeSecret>
      )}
    </div>
  );
}
