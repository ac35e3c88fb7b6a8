"use client";

import { useActionState } from "react";
import { addRuleAction } from "@/app/(dashboard)/notifications/actions";
import { Alert } from "@/components/ui/alert";
import { Field, Select } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import type { ActionResult } from "@/lib/actions/result";

type State = ActionResult<{ added: boolean }> | null;

/** Which events of which app (or every app) a channel hears. */
export function RuleForm({ channels, apps, kinds }: { channels: { id: number; name: string }[]; apps: string[]; kinds: [string, string][] }) {
  const [state, action] = useActionState<State, FormData>(addRuleAction, null);
  const e = state?.status === "invalid" ? state.fieldErrors : undefined;
  return (
    <div className="space-y-3">
      <form action={action} aria-label="Add a rule" className="grid gap-3 sm:grid-cols-[1fr_1fr_1fr_auto] sm:items-start">
        <Field label="Channel" name="channelId" id="rule-channel" error={e?.channelId}>
          <Select name="channelId" required>
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="App" name="app" id="rule-app" error={e?.app}>
          <Select name="app" defaultValue="*">
            <option value="*">Every app</option>
            {apps.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Event" name="kind" id="rule-kind" error={e?.kind}>
          <Select name="kind" defaultValue="backup.failed">
            {kinds.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </Select>
        </Field>
        <SubmitButton variant="primary" className="sm:mt-6" pendingLabel="Adding…">
          Add rule
        </SubmitButton>
      </form>
      {state && state.status !== "ok" && <Alert tone="error">{state.message}</Alert>}
      {state?.status === "ok" && !state.data.added && <Alert tone="info">That rule exists already.</Alert>}
    </div>
  );
}
