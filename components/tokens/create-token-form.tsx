"use client";

import { useActionState } from "react";
import { createTokenAction } from "@/app/(dashboard)/tokens/actions";
import { OneTimeSecret } from "@/components/users/one-time-secret";
import { Alert } from "@/components/ui/alert";
import { Field, Input, Select } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import type { ActionResult } from "@/lib/actions/result";
import { roleDescriptions, roleLabels, type Role } from "@/lib/auth/roles";

type State = ActionResult<{ id: number; name: string; token: string }> | null;

/** Creates an API token (role up to the creator's, an expiry) and shows it once. */
export function CreateTokenForm({ roles, dayChoices }: { roles: Role[]; dayChoices: readonly number[] }) {
  const [state, action] = useActionState<State, FormData>(createTokenAction, null);
  const fieldErrors = state?.status === "invalid" ? state.fieldErrors : undefined;
  return (
    <div className="space-y-3">
      <form action={action} aria-label="Create an API token" className="grid gap-3 sm:grid-cols-[2fr_1fr_1fr_auto] sm:items-start">
        <Field label="Name" name="name" hint="What it is for: “deploy pipeline”." error={fieldErrors?.name}>
          <Input name="name" autoComplete="off" required maxLength={100} />
        </Field>
        <Field label="Role" name="role" error={fieldErrors?.role}>
          <Select name="role" defaultValue="operator">
            {roles.map((r) => (
              <option key={r} value={r} title={roleDescriptions[r]}>
                {roleLabels[r]}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Expires after" name="days" error={fieldErrors?.days}>
          <Select name="days" defaultValue="90">
            {dayChoices.map((d) => (
              <option key={d} value={d}>
                {d} days
              </option>
            ))}
          </Select>
        </Field>
        <SubmitButton variant="primary" className="sm:mt-6" pendingLabel="Creating…">
          Create token
        </SubmitButton>
      </form>
      {state?.status === "error" && <Alert tone="error">{state.message}</Alert>}
      {state?.status === "ok" && (
        <OneTimeSecret title={`Token “${state.data.name}”:`} secret={state.data.token}>
          Copy it now: it is shown only this once (Lifeboat keeps only its hash). Send it as <code>Authorization: Bearer …</code>.
        </OneTimeSecret>
      )}
    </div>
  );
}
