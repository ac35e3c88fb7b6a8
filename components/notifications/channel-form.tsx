"use client";

import { useActionState, useState } from "react";
import { createChannelAction } from "@/app/(dashboard)/notifications/actions";
import { OneTimeSecret } from "@/components/users/one-time-secret";
import { Alert } from "@/components/ui/alert";
import { Field, Input, Select } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import type { ActionResult } from "@/lib/actions/result";

type State = ActionResult<{ id: number; name: string; generatedSecret: string | null }> | null;
type Kind = "webhook" | "slack" | "email";

/** Adds a channel. Secrets go in and never come back, except a webhook secret Lifeboat made (shown once). */
export function ChannelForm() {
  const [state, action] = useActionState<State, FormData>(createChannelAction, null);
  const [kind, setKind] = useState<Kind>("webhook");
  const e = state?.status === "invalid" ? state.fieldErrors : undefined;
  return (
    <div className="space-y-3">
      <form action={action} aria-label="Add a channel" className="grid gap-3 sm:grid-cols-2">
        <Field label="Kind" name="kind" error={e?.kind}>
          <Select name="kind" value={kind} onChange={(ev) => setKind(ev.target.value as Kind)}>
            <option value="webhook">Webhook (signed JSON)</option>
            <option value="slack">Slack-compatible incoming webhook</option>
            <option value="email">Email (SMTP, STARTTLS)</option>
          </Select>
        </Field>
        <Field label="Name" name="name" hint="“on-call pager”, “#ops”." error={e?.name}>
          <Input name="name" required maxLength={60} autoComplete="off" />
        </Field>
        {kind !== "email" && (
          <Field label="URL" name="url" hint={kind === "slack" ? "The incoming-webhook URL: it is a credential, stored encrypted, never shown again." : "http(s). Stored encrypted; shown without credentials or query."} error={e?.url}>
            <Input name="url" type="url" required maxLength={2000} autoComplete="off" placeholder="https://" />
          </Field>
        )}
        {kind === "webhook" && (
          <Field label="Signing secret" name="secret" hint="Leave empty: Lifeboat makes one and shows it once." error={e?.secret}>
            <Input name="secret" type="password" autoComplete="new-password" maxLength={200} />
          </Field>
        )}
        {kind === "email" && (
          <>
            <Field label="SMTP host" name="host" error={e?.host}>
              <Input name="host" required maxLength={253} autoComplete="off" />
            </Field>
            <Field label="Port" name="port" hint="587 (STARTTLS, required) or 465 (TLS)." error={e?.port}>
              <Input name="port" type="number" min={1} max={65535} defaultValue={587} />
            </Field>
            <Field label="User" name="user" error={e?.user}>
              <Input name="user" autoComplete="off" maxLength={320} />
            </Field>
            <Field label="Password" name="password" hint="Stored encrypted." error={e?.password}>
              <Input name="password" type="password" autoComplete="new-password" maxLength={1000} />
            </Field>
            <Field label="From" name="from" error={e?.from}>
              <Input name="from" type="email" required maxLength={320} />
            </Field>
            <Field label="To" name="to" hint="One or more addresses, separated by commas." error={e?.to}>
              <Input name="to" required maxLength={2000} />
            </Field>
            <label className="flex items-start gap-2 text-sm text-slate-700 sm:col-span-2">
              <input type="checkbox" name="tlsSkipVerify" className="mt-1" />
              <span>Accept a self-signed certificate (still encrypted, but the server’s identity is not checked).</span>
            </label>
          </>
        )}
        <div className="sm:col-span-2">
          <SubmitButton variant="primary" pendingLabel="Adding…">
            Add channel
          </SubmitButton>
        </div>
      </form>
      {state && state.status !== "ok" && <Alert tone="error">{state.message}</Alert>}
      {state?.status === "ok" && !state.data.generatedSecret && <Alert tone="success">Channel “{state.data.name}” added. Add a rule below, then send a test.</Alert>}
      {state?.status === "ok" && state.data.generatedSecret && (
        <OneTimeSecret title={`Signing secret of “${state.data.name}”:`} secret={state.data.generatedSecret}>
          Copy it into the receiver now: it is shown only this once. README “Notifications” shows how to verify X-Lifeboat-Signature.
        </OneTimeSecret>
      )}
    </div>
  );
}
