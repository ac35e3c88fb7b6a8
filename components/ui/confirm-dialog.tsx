"use client";

import { useId, useState, type ReactNode } from "react";
import { submitWithoutReset } from "@/components/forms/submit-without-reset";
import { Button, type ButtonSize, type ButtonVariant } from "./button";
import { Dialog, DialogActions } from "./dialog";
import { Input } from "./field";

export interface ConfirmDialogProps {
  /** The button that opens the dialog (secondary by default: the dialog's own button is the red one). */
  triggerLabel: ReactNode;
  triggerVariant?: ButtonVariant;
  triggerSize?: ButtonSize;
  triggerDisabled?: boolean;
  /** Why the trigger is disabled, and what would enable it. */
  triggerTitle?: string;
  title: ReactNode;
  /** What will happen, in plain words: what is lost, whether it can be undone. */
  description?: ReactNode;
  /** The exact text to type before the destructive button enables (a backup's or an app's name). */
  confirmWord: string;
  /** The destructive button's text: say what it does ("Delete backup", not "OK"). */
  confirmLabel: string;
  pendingLabel?: string;
  /** A form action, e.g. the dispatch from useActionState. The typed text is sent as `confirmField`. */
  action: (formData: FormData) => void | Promise<void>;
  confirmField?: string;
  pending?: boolean;
  /** Shown inside the dialog, e.g. the action's error message. */
  error?: ReactNode;
  /** Extra form fields: hidden inputs with ids, options such as "end open sessions". */
  children?: ReactNode;
  /** Controlled mode (close it yourself once the action succeeded). */
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
}

/**
 * A modal confirmation for destructive operations (the kit's Dialog). The destructive button stays
 * disabled until the operator types `confirmWord` exactly.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const { confirmWord, confirmField = "confirm", pending = false } = props;
  const [innerOpen, setInnerOpen] = useState(false);
  const open = props.open ?? innerOpen;
  const setOpen = (next: boolean) => {
    if (props.open === undefined) setInnerOpen(next);
    props.onOpenChange?.(next);
    if (!next) setTyped("");
  };
  const [typed, setTyped] = useState("");
  const inputId = useId();
  const matches = typed.trim() === confirmWord;

  return (
    <>
      <Button
        type="button"
        variant={props.triggerVariant ?? "secondary"}
        size={props.triggerSize ?? "md"}
        disabled={props.triggerDisabled}
        title={props.triggerTitle}
        onClick={() => setOpen(true)}
      >
        {props.triggerLabel}
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} busy={pending} title={props.title} description={props.description}>
        <form onSubmit={submitWithoutReset(() => props.action)} className="space-y-4">
          {props.children}
          <div>
            <label htmlFor={inputId} className="mb-1 block text-sm text-slate-700">
              Type <span className="rounded bg-slate-100 px-1 py-0.5 font-mono text-[0.8rem] font-semibold break-all text-slate-900 select-all">{confirmWord}</span> to confirm
            </label>
            <Input
              id={inputId}
              name={confirmField}
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              data-autofocus
              className="font-mono"
            />
          </div>
          {props.error && (
            <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
              {props.error}
            </div>
          )}
          <DialogActions>
            <Button type="button" variant="secondary" disabled={pending} onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" variant="danger" disabled={!matches} pending={pending} pendingLabel={props.pendingLabel}>
              {props.confirmLabel}
            </Button>
          </DialogActions>
        </form>
      </Dialog>
    </>
  );
}
