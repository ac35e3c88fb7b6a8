"use client";

import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { createPortal } from "react-dom";
import { cx } from "./cx";

export interface DialogProps {
  open: boolean;
  /** Esc, the ✕ button or a Cancel button: the owner decides (and may refuse while `busy`). */
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  /** While an action runs: Esc and ✕ do nothing, so a half-sent request is not abandoned by a stray key. */
  busy?: boolean;
  size?: "md" | "lg";
  children: ReactNode;
  testId?: string;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/**
 * The one modal of the kit. A native <dialog> opened with showModal (the rest of the page becomes inert,
 * Esc cancels), portalled to <body> so a table cell's alignment or an enclosing form never reaches it,
 * labelled by its title, Tab wrapped inside it, and focus given back to the element that opened it.
 */
export function Dialog(props: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  const descId = useId();
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      // autoFocus inside a portalled dialog is not reliable: focus the first field, else the first button.
      const first = dialog.querySelector<HTMLElement>("[data-autofocus]") ?? dialog.querySelector<HTMLElement>(FOCUSABLE);
      first?.focus();
    }
    if (!props.open && dialog.open) dialog.close();
    if (!props.open && opener.current) {
      const back = opener.current;
      opener.current = null;
      if (back.isConnected) back.focus();
    }
  }, [props.open, mounted]);

  // Chromium lets Tab leave a modal dialog for the browser's own UI; keep it cycling inside.
  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.key !== "Tab" || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (e.shiftKey && (document.activeElement === first || !ref.current.contains(document.activeElement))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  if (!mounted) return null;
  return createPortal(
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={props.description ? descId : undefined}
      data-testid={props.testId}
      onKeyDown={onKeyDown}
      onCancel={(e) => {
        e.preventDefault();
        if (!props.busy) props.onClose();
      }}
      // A literal backdrop colour: ::backdrop does not reliably see Tailwind's colour variables.
      className={cx(
        "m-auto max-h-[calc(100dvh-2rem)] w-[calc(100%-1.5rem)] overflow-y-auto rounded-lg border border-slate-200 bg-white p-0 text-left text-slate-900 shadow-xl backdrop:bg-[rgb(15_23_42/0.6)]",
        props.size === "lg" ? "max-w-2xl" : "max-w-md",
      )}
    >
      {props.open && (
        <div className="space-y-4 p-4 sm:p-5">
          <div className="flex items-start justify-between gap-3">
            <div className="min-w-0 space-y-1.5">
              <h2 id={titleId} className="text-base font-semibold break-words sm:text-lg">
                {props.title}
              </h2>
              {props.description && (
                <div id={descId} className="text-sm text-slate-700">
                  {props.description}
                </div>
              )}
            </div>
            <button
              type="button"
              onClick={() => !props.busy && props.onClose()}
              disabled={props.busy}
              aria-label="Close"
              className="-mt-1 -mr-1 shrink-0 rounded p-1.5 text-slate-500 hover:bg-slate-100 hover:text-slate-800 disabled:opacity-40"
            >
              ✕
            </button>
          </div>
          {props.children}
        </div>
      )}
    </dialog>,
    document.body,
  );
}

/** The row of buttons at the bottom of a dialog: wraps on a phone instead of clipping Cancel. */
export function DialogActions({ children }: { children: ReactNode }) {
  return <div className="flex flex-wrap justify-end gap-2 pt-1">{children}</div>;
}
