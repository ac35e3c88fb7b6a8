"use client";

import { useActionState } from "react";
import {
  resetUserPasswordAction,
  setUserDisabledAction,
  setUserRoleAction,
  signOutUserEverywhereAction,
  unlockUserAction,
} from "@/app/(dashboard)/users/actions";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Select } from "@/components/ui/field";
import type { ActionResult } from "@/lib/actions/result";
import { ROLES, roleLabels, type Role } from "@/lib/auth/roles";
import { OneTimeSecret } from "./one-time-secret";

type R = ActionResult<unknown> | null;
type Reset = ActionResult<{ email: string; password: string }> | null;

/** Role, enable/disable, reset, unlock and sign-out-everywhere for one user row (an admin's own row has fewer). */
export function UserRowActions(props: { userId: number; email: string; role: Role; disabled: boolean; waiting: boolean; self: boolean; activeSessions: number }) {
  const [roleState, roleAction, rolePending] = useActionState<R, FormData>(setUserRoleAction, null);
  const [disableState, disableAction, disablePending] = useActionState<R, FormData>(setUserDisabledAction, null);
  const [resetState, resetAction, resetPending] = useActionState<Reset, FormData>(resetUserPasswordAction, null);
  const [unlockState, unlockAction, unlockPending] = useActionState<R, FormData>(unlockUserAction, null);
  const [outState, outAction, outPending] = useActionState<R, FormData>(signOutUserEverywhereAction, null);
  const error = [roleState, disableState, unlockState, outState].find((s) => s && s.status !== "ok");
  const id = <input type="hidden" name="userId" value={props.userId} />;

  return (
    <div className="flex flex-col items-end gap-1.5">
      <div className="flex flex-wrap justify-end gap-1.5">
        {!props.self && (
          <form action={roleAction} className="flex items-center gap-1" aria-label={`Role of ${props.email}`}>
            {id}
            <Select name="role" defaultValue={props.role} aria-label={`New role for ${props.email}`} className="h-7 w-28 py-0 text-xs">
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {roleLabels[r]}
                </option>
              ))}
            </Select>
            <Button size="sm" pending={rolePending}>
              Set role
            </Button>
          </form>
        )}
        {props.waiting && (
          <form action={unlockAction}>
            {id}
            <Button size="sm" pending={unlockPending}>
              Unlock
            </Button>
          </form>
        )}
        {props.activeSessions > 0 && (
          <form action={outAction}>
            {id}
            <Button size="sm" pending={outPending}>
              Sign out everywhere
            </Button>
          </form>
        )}
        {!props.self && (
          <form action={disableAction}>
            {id}
            <input type="hidden" name="disabled" value={props.disabled ? "false" : "true"} />
            <Button size="sm" variant={props.disabled ? "secondary" : "ghost"} pending={disablePending}>
              {props.disabled ? "Enable" : "Disable"}
            </Button>
          </form>
        )}
        {!props.self && (
          <ConfirmDialog
            triggerLabel="Reset password…"
            triggerSize="sm"
            title={`Reset the password of ${props.email}?`}
            description="They get a new generated password (shown to you once), every session of theirs ends and their sign-in waits are cleared."
            confirmWord={props.email}
            confirmLabel="Reset password"
            pendingLabel="Resetting…"
            action={resetAction}
            pending={resetPending}
            error={resetState && resetState.status !== "ok" ? resetState.message : undefined}
          >
            {id}
          </ConfirmDialog>
        )}
      </div>
      {error && error.status !== "ok" && <p className="max-w-xs text-right text-xs text-red-700">{error.message}</p>}
      {resetState?.status === "ok" && (
        <div className="max-w-md text-left">
          <OneTimeSecret title={`New password for ${resetState.data.email}:`} secret={resetState.data.password} />
        </div>
      )}
    </div>
  );
}
