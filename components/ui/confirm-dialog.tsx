"use client";

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { submitWithoutReset } from "@/components/forms/submit-without-reset";
import { Button, type ButtonSize, type ButtonVariant } from "./button";
import { Input } from "./field";

export interface ConfirmDialogProps {
  /** The button that opens the dialog (secondary by default: the dialog's own button is the red one). */
  triggerLabel: ReactNode;
  triggerVariant?: ButtonVariant;
  triggerSize?: ButtonSize;
  triggerDisabled?: boolean;
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
 * A modal confirmation for destructive operations (native <dialog>: focus trapped, Esc closes). The
 * destructive button stays disabled until the operator types `confirmWord` exactly.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const { confirmWord, confirmField = "confirm", pending = false } = props;
  const [innerOpen, setInnerOpen] = useState(false);
  const open = props.open ?? innerOpen;
  const setOpen = (next: boolean) => {
    if (props.open === undefined) setInnerOpen(next);
    props.onOpenChange?.(next);
  };
  const [typed, setTyped] = useState("");
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const inputId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
    if (!open) setTyped("");
  }, [open]);

  const matches = typed.trim() === confirmWord;

  return (
    <>
      <Button type="button" variant={props.triggerVariant ?? "secondary"} size={props.triggerSize ?? "md"} disabled={props.triggerDisabled} onClick={() => setOpen(true)}>
        {props.triggerLabel}
      </Button>
      {/* A literal backdrop colour: ::backdrop does not reliably see Tailwind's colour variables. */}
      <dialog
        ref={ref}
        aria-labelledby={titleId}
        aria-describedby={props.description ? descId : undefined}
        onCancel={(e) => {
          e.preventDefault(); // Esc: close through state, and not while the action is running
          if (!pending) setOpen(false);
        }}
        onClose={() => open && setOpen(false)}
        className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg border border-slate-200 bg-white p-0 text-left text-slate-900 shadow-xl backdrop:bg-[rgb(15_23_42/0.6)]"
      >
        {open && (
          <form onSubmit={submitWithoutReset(() => props.action)} className="space-y-4 p-5">
            <div className="space-y-1.5">
              <h2 id={titleId} className="text-base font-semibold break-words">
                {props.title}
              </h2>
              {props.description && (
                <div id={descId} className="text-sm text-slate-700">
                  {props.description}
                </div>
              )}
            </div>
            {props.children}
            <div>
              <label htmlFor={inputId} className="mb-1 block text-sm text-slate-700">
                Type <span className="rounded bg-slate-100 px-1 py-0.5 font-mono text-[0.8rem] font-semibold text-slate-900 select-all">{confirmWord}</span> to confirm
              </label>
              <Input
                id={inputId}
                name={confirmField}
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
                autoComplete="off"
                spellCheck={false}
                autoFocus
                className="font-mono"
              />
            </div>
            {props.error && (
              <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
                {props.error}
              </div>
            )}
            <div className="flex justify-end gap-2 pt-1">
              <Button type="button" variant="secondary" disabled={pending} onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" variant="danger" disabled={!matches} pending={pending} pendingLabel={props.pendingLabel}>
                {props.confirmLabel}
              </Button>
            </div>
          </form>
        )}
      </dialog>
    </>
  );
}
