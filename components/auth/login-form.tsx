"use client";

import { useActionState, useState } from "react";
import { signInAction } from "@/app/(auth)/login/actions";
import type { ActionResult } from "@/lib/actions/result";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";

type State = ActionResult<null> | null;

/** Email + password. The email survives a failed attempt; the password does not. */
export function LoginForm({ next, notice }: { next?: string; notice?: string }) {
  const [state, action, pending] = useActionState<State, FormData>(signInAction, null);
  const [email, setEmail] = useState("");
  const fieldErrors = state?.status === "invalid" ? state.fieldErrors : undefined;
  const failed = state?.status === "error" ? state.message : undefined;

  return (
    <form action={action} aria-label="Sign in" className="space-y-4" noValidate>
      {failed ? (
        <Alert tone="error" data-testid="login-error">
          {failed}
        </Alert>
      ) : (
        notice && <Alert tone="info">{notice}</Alert>
      )}
      <input type="hidden" name="next" value={next ?? ""} />
      <Field label="Email" name="email" error={fieldErrors?.email}>
        <Input
          name="email"
          type="email"
          autoComplete="username"
          autoFocus
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </Field>
      <Field label="Password" name="password" error={fieldErrors?.password}>
        <Input name="password" type="password" autoComplete="current-password" required />
      </Field>
      <Button type="submit" variant="primary" size="lg" pending={pending} pendingLabel="Signing in…" className="w-full">
        Sign in
      </Button>
    </form>
  );
}
