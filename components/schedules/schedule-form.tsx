"use client";

import { useActionState } from "react";
import { createScheduleAction } from "@/app/(dashboard)/apps/[app]/settings/actions";
import { Alert } from "@/components/ui/alert";
import { Field, Input, Select } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import type { ActionResult } from "@/lib/actions/result";

type State = ActionResult<{ id: number }> | null;

/** Adds a schedule; cron and time zone are checked on the server and errors shown beside their fields. */
export function ScheduleForm({ app, defaultMethod }: { app: string; defaultMethod: "dump" | "clone" }) {
  const [state, action] = useActionState<State, FormData>(createScheduleAction, null);
  const fe = state?.status === "invalid" ? state.fieldErrors : undefined;
  return (
    <form action={action} aria-label="Add a schedule" className="grid gap-3 sm:grid-cols-[1.4fr_1fr_1fr_auto_auto_auto] sm:items-start">
      <input type="hidden" name="app" value={app} />
      <Field label="Cron (UTC unless a zone is given)" name="cron" hint="minute hour day month weekday: 30 2 * * * is 02:30 daily" error={fe?.cron}>
        <Input name="cron" required defaultValue="30 2 * * *" autoComplete="off" className="font-mono" />
      </Field>
      <Field label="Time zone" name="timeZone" hint="IANA name, e.g. Europe/Berlin" error={fe?.timeZone}>
        <Input name="timeZone" autoComplete="off" placeholder="UTC" />
      </Field>
      <Field label="Label" name="label" error={fe?.label}>
        <Input name="label" maxLength={60} autoComplete="off" placeholder="nightly" />
      </Field>
      <Field label="Runs" name="action" error={fe?.action}>
        <Select name="action" defaultValue="backup">
          <option value="backup">a backup</option>
          <option value="drill">a restore drill</option>
        </Select>
      </Field>
      <Field label="Method" name="method" error={fe?.method}>
        <Select name="method" defaultValue={defaultMethod}>
          <option value="dump">dump</option>
          <option value="clone">clone</option>
        </Select>
      </Field>
      <SubmitButton variant="primary" className="sm:mt-6" pendingLabel="Adding…">
        Add schedule
      </SubmitButton>
      {state && state.status !== "ok" && state.status !== "invalid" && <Alert tone="error" className="sm:col-span-6">{state.message}</Alert>}
    </form>
  );
}
