"use client";

import { useActionState } from "react";
import { deleteScheduleAction, toggleScheduleAction } from "@/app/(dashboard)/apps/[app]/settings/actions";
import { Button } from "@/components/ui/button";
import { SubmitButton } from "@/components/ui/submit-button";
import type { ActionResult } from "@/lib/actions/result";

type State = ActionResult<unknown> | null;

/** Pause/resume and delete for one schedule row. */
export function ScheduleButtons({ app, scheduleId, enabled }: { app: string; scheduleId: number; enabled: boolean }) {
  const [toggled, toggle] = useActionState<State, FormData>(toggleScheduleAction, null);
  const [deleted, remove] = useActionState<State, FormData>(deleteScheduleAction, null);
  const error = [toggled, deleted].find((s) => s && s.status !== "ok");
  return (
    <div className="flex items-center gap-2">
      <form action={toggle}>
        <input type="hidden" name="app" value={app} />
        <input type="hidden" name="scheduleId" value={scheduleId} />
        <input type="hidden" name="enabled" value={enabled ? "false" : "true"} />
        <SubmitButton size="sm" pendingLabel="…">{enabled ? "Pause" : "Resume"}</SubmitButton>
      </form>
      <form action={remove}>
        <input type="hidden" name="app" value={app} />
        <input type="hidden" name="scheduleId" value={scheduleId} />
        <Button type="submit" size="sm" variant="danger">Delete</Button>
      </form>
      {error && error.status !== "ok" && <span role="alert" className="text-xs text-red-700">{error.message}</span>}
    </div>
  );
}
