"use client";

import { useActionState } from "react";
import { deleteRuleAction } from "@/app/(dashboard)/notifications/actions";
import { Button } from "@/components/ui/button";
import type { ActionResult } from "@/lib/actions/result";

export function DeleteRuleButton({ ruleId, label }: { ruleId: number; label: string }) {
  const [state, action, pending] = useActionState<ActionResult<unknown> | null, FormData>(deleteRuleAction, null);
  return (
    <form action={action} className="inline-flex items-center gap-2">
      <input type="hidden" name="ruleId" value={ruleId} />
      <Button size="sm" pending={pending} aria-label={`Remove rule: ${label}`}>
        Remove
      </Button>
      {state && state.status !== "ok" && <span className="text-xs text-red-700">{state.message}</span>}
    </form>
  );
}
