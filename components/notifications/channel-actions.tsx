"use client";

import { useActionState } from "react";
import { deleteChannelAction, sendTestNotificationAction, setChannelEnabledAction } from "@/app/(dashboard)/notifications/actions";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import type { ActionResult } from "@/lib/actions/result";
import { EditChannelDialog, type EditableChannel } from "./edit-channel-dialog";
import { RotateSecretButton } from "./rotate-secret-button";

type R = ActionResult<unknown> | null;

/** Send a test, turn on/off, edit, rotate a webhook's secret, delete — for one channel row. */
export function ChannelActions({ channel }: { channel: EditableChannel }) {
  const { id: channelId, name, enabled } = channel;
  const [testState, testAction, testPending] = useActionState<R, FormData>(sendTestNotificationAction, null);
  const [enState, enAction, enPending] = useActionState<R, FormData>(setChannelEnabledAction, null);
  const [delState, delAction, delPending] = useActionState<R, FormData>(deleteChannelAction, null);
  const id = <input type="hidden" name="channelId" value={channelId} />;
  const error = [testState, enState].find((s) => s && s.status !== "ok");
  return (
    <div className="flex min-w-44 flex-col items-end gap-1.5">
      <div className="flex flex-wrap justify-end gap-1.5">
        <form action={testAction}>
          {id}
          <Button size="sm" pending={testPending} pendingLabel="Queueing…" disabled={!enabled}>
            Send a test
          </Button>
        </form>
        <form action={enAction}>
          {id}
          <input type="hidden" name="enabled" value={enabled ? "false" : "true"} />
          <Button size="sm" pending={enPending}>
            {enabled ? "Turn off" : "Turn on"}
          </Button>
        </form>
        <EditChannelDialog channel={channel} />
        {channel.kind === "webhook" && <RotateSecretButton channelId={channelId} name={name} />}
        <ConfirmDialog
          triggerLabel="Delete…"
          triggerSize="sm"
          title={`Delete the channel “${name}”?`}
          description="Its rules go with it. Its delivery log stays; deliveries still queued or retrying end as “channel deleted”. Nothing else changes."
          confirmWord={name}
          confirmLabel="Delete channel"
          pendingLabel="Deleting…"
          action={delAction}
          pending={delPending}
          error={delState && delState.status !== "ok" ? delState.message : undefined}
        >
          {id}
        </ConfirmDialog>
      </div>
      {testState?.status === "ok" && <p className="text-xs text-slate-600">Queued: a worker sends it; see the delivery log.</p>}
      {error && error.status !== "ok" && (
        <p role="status" className="max-w-64 text-right text-xs font-medium text-red-700">
          {error.message}
        </p>
      )}
    </div>
  );
}
