"use client";

import { useActionState, useEffect, useState } from "react";
import { updateChannelAction } from "@/app/(dashboard)/notifications/actions";
import { submitWithoutReset } from "@/components/forms/submit-without-reset";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import type { ActionResult } from "@/lib/actions/result";

type State = ActionResult<{ name: string; changed: number }> | null;
export interface EditableChannel {
  id: number;
  name: string;
  kind: "webhook" | "slack" | "email";
  enabled: boolean;
  /** What the page may show (never a secret): the display URL, or the SMTP host, port, user, from, to. */
  config: Record<string, unknown>;
}

const KEEP = "Leave blank to keep the stored one.";

/** Edits a channel in the kit's dialog. Secrets are never sent to the page, so their fields start blank: blank keeps them. */
export function EditChannelDialog({ channel: c }: { channel: EditableChannel }) {
  const [open, setOpen] = useState(false);
  const [state, action, pending] = useActionState<State, FormData>(updateChannelAction, null);
  const [shown, setShown] = useState<State>(null);
  useEffect(() => {
    setShown(state);
    if (state?.status === "ok") setOpen(false);
  }, [state]);
  const e = shown?.status === "invalid" ? shown.fieldErrors : undefined;
  const id = (f: string) => `edit-${c.id}-${f}`;
  const cfg = (k: string) => (c.config[k] === undefined || c.config[k] === null ? "" : Array.isArray(c.config[k]) ? (c.config[k] as string[]).join(", ") : String(c.config[k]));
  return (
    <>
      <Button type="button" size="sm" onClick={() => (setShown(null), setOpen(true))}>
        Edit…
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} busy={pending} size="lg" title={`Edit the channel “${c.name}”`} description="Its rules and delivery log stay. Queued and retrying deliveries go to the new target.">
        <form onSubmit={submitWithoutReset(() => action)} aria-label={`Edit ${c.name}`} className="grid gap-3 sm:grid-cols-2">
          <input type="hidden" name="channelId" value={c.id} />
          <input type="hidden" name="kind" value={c.kind} />
          <Field label="Name" id={id("name")} error={e?.name}>
            <Input name="name" required maxLength={60} defaultValue={c.name} autoComplete="off" data-autofocus />
          </Field>
          {c.kind !== "email" && (
            <Field label="New URL" id={id("url")} hint={`Now: ${cfg("displayUrl")}. ${KEEP}`} error={e?.url}>
              <Input name="url" type="url" maxLength={2000} autoComplete="off" placeholder="(unchanged)" />
            </Field>
          )}
          {c.kind === "webhook" && (
            <Field label="New signing secret" id={id("secret")} hint={`${KEEP} Or use “Rotate secret…” to have Lifeboat make one.`} error={e?.secret}>
              <Input name="secret" type="password" autoComplete="new-password" maxLength={200} placeholder="(unchanged)" />
            </Field>
          )}
          {c.kind === "email" && (
            <>
              <Field label="SMTP host" id={id("host")} error={e?.host}>
                <Input name="host" required maxLength={253} defaultValue={cfg("host")} autoComplete="off" />
              </Field>
              <Field label="Port" id={id("port")} error={e?.port}>
                <Input name="port" type="number" min={1} max={65535} defaultValue={cfg("port")} />
              </Field>
              <Field label="User" id={id("user")} error={e?.user}>
                <Input name="user" maxLength={320} defaultValue={cfg("user")} autoComplete="off" />
              </Field>
              <Field label="New password" id={id("password")} hint={KEEP} error={e?.password}>
                <Input name="password" type="password" autoComplete="new-password" maxLength={1000} placeholder="(unchanged)" />
              </Field>
              <Field label="From" id={id("from")} error={e?.from}>
                <Input name="from" type="email" required maxLength={320} defaultValue={cfg("from")} />
              </Field>
              <Field label="To" id={id("to")} hint="Separated by commas." error={e?.to}>
                <Input name="to" required maxLength={2000} defaultValue={cfg("to")} />
              </Field>
              <label className="flex items-start gap-2 text-sm text-slate-700 sm:col-span-2">
                <input type="checkbox" name="tlsSkipVerify" defaultChecked={c.config.tlsSkipVerify === true} className="mt-1" />
                <span>Accept a self-signed certificate.</span>
              </label>
            </>
          )}
          <label className="flex items-start gap-2 text-sm text-slate-700 sm:col-span-2">
            <input type="checkbox" name="enabled" defaultChecked={c.enabled} className="mt-1" />
            <span>On (a channel that is off receives nothing; its rules stay)</span>
          </label>
          {shown && shown.status !== "ok" && (
            <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 sm:col-span-2">
              {shown.message}
            </div>
          )}
          <div className="sm:col-span-2">
            <DialogActions>
              <Button type="button" variant="secondary" disabled={pending} onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" variant="primary" pending={pending} pendingLabel="Saving…">
                Save changes
              </Button>
            </DialogActions>
          </div>
        </form>
      </Dialog>
    </>
  );
}
