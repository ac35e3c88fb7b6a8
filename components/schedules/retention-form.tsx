"use client";

import { useActionState, useState } from "react";
import { setScheduledRetentionAction } from "@/app/(dashboard)/apps/[app]/settings/actions";
import { Alert } from "@/components/ui/alert";
import { Field, Input, Select } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import type { ActionResult } from "@/lib/actions/result";
import type { ScheduledRetention } from "@/lib/validation/schedules";

type State = ActionResult<{ mode: string }> | null;

/** Scheduled backups: keep the newest N, or grandfather-father-son (daily / weekly / monthly). */
export function RetentionForm({ app, value }: { app: string; value: ScheduledRetention }) {
  const [state, action] = useActionState<State, FormData>(setScheduledRetentionAction, null);
  const [mode, setMode] = useState(value.mode);
  const fe = state?.status === "invalid" ? state.fieldErrors : undefined;
  const gfs = value.mode === "gfs" ? value : { daily: 7, weekly: 4, monthly: 6, timeZone: "" };
  return (
    <form action={action} aria-label="Retention of scheduled backups" className="flex flex-wrap items-start gap-3">
      <input type="hidden" name="app" value={app} />
      <Field label="Keep" name="mode">
        <Select name="mode" value={mode} onChange={(e) => setMode(e.target.value as ScheduledRetention["mode"])}>
          <option value="newest">the newest N</option>
          <option value="gfs">daily / weekly / monthly (GFS)</option>
        </Select>
      </Field>
      {mode === "newest" ? (
        <Field label="N per method" name="keep" error={fe?.keep}>
          <Input name="keep" inputMode="numeric" defaultValue={value.mode === "newest" ? value.keep : 7} className="w-24" />
        </Field>
      ) : (
        <>
          <Field label="Daily" name="daily" error={fe?.daily}>
            <Input name="daily" inputMode="numeric" defaultValue={gfs.daily} className="w-20" />
          </Field>
          <Field label="Weekly" name="weekly" error={fe?.weekly}>
            <Input name="weekly" inputMode="numeric" defaultValue={gfs.weekly} className="w-20" />
          </Field>
          <Field label="Monthly" name="monthly" error={fe?.monthly}>
            <Input name="monthly" inputMode="numeric" defaultValue={gfs.monthly} className="w-20" />
          </Field>
          <Field label="Calendar of" name="timeZone" hint="time zone for days and weeks" error={fe?.timeZone}>
            <Input name="timeZone" defaultValue={gfs.timeZone ?? ""} placeholder="UTC" className="w-40" />
          </Field>
        </>
      )}
      <SubmitButton className="mt-6" pendingLabel="Saving…">
        Save retention
      </SubmitButton>
      {state?.status === "ok" && <Alert tone="success">Saved: the next scheduled backup prunes with it.</Alert>}
      {state && state.status === "error" && <Alert tone="error">{state.message}</Alert>}
    </form>
  );
}
