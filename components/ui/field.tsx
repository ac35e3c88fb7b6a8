import {
  Children,
  cloneElement,
  isValidElement,
  type InputHTMLAttributes,
  type LabelHTMLAttributes,
  type ReactElement,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";
import { cx } from "./cx";

const control =
  "block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900 shadow-xs " +
  "placeholder:text-slate-400 focus:border-sky-600 focus:outline-2 focus:outline-offset-0 focus:outline-sky-600/30 " +
  "disabled:bg-slate-100 disabled:text-slate-500 read-only:bg-slate-50 " +
  "aria-invalid:border-red-600 aria-invalid:focus:outline-red-600/30";

export function Label({ className, ...rest }: LabelHTMLAttributes<HTMLLabelElement>) {
  return <label {...rest} className={cx("block text-sm font-medium text-slate-800", className)} />;
}

export function Input({ className, ...rest }: InputHTMLAttributes<HTMLInputElement>) {
  return <input {...rest} className={cx(control, "h-9", className)} />;
}

export function Select({ className, ...rest }: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select {...rest} className={cx(control, "h-9 pr-8", className)} />;
}

export function Textarea({ className, ...rest }: TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <textarea {...rest} className={cx(control, "min-h-20", className)} />;
}

/** Inline error text under a control. Accepts an ActionResult's fieldErrors entry as is. */
export function FieldError({ id, error }: { id?: string; error?: string | string[] | null }) {
  const text = Array.isArray(error) ? error.join(" ") : error;
  if (!text) return null;
  return (
    <p id={id} className="mt-1 text-xs font-medium text-red-700">
      {text}
    </p>
  );
}

/**
 * Label + one control + hint + inline error. The control gets the id, aria-invalid and aria-describedby,
 * so the label and the error are announced with it:
 *   <Field label="Email" name="email" error={state.fieldErrors?.email}><Input name="email" /></Field>
 */
export function Field({
  label,
  name,
  id,
  hint,
  error,
  className,
  children,
}: {
  label: ReactNode;
  /** Used to derive the id when `id` is not given. */
  name?: string;
  id?: string;
  hint?: ReactNode;
  error?: string | string[] | null;
  className?: string;
  children: ReactElement;
}) {
  const fieldId = id ?? `field-${name ?? "x"}`;
  const hasError = Array.isArray(error) ? error.length > 0 : !!error;
  const describedBy = [hint ? `${fieldId}-hint` : null, hasError ? `${fieldId}-error` : null].filter(Boolean).join(" ") || undefined;
  const child = Children.only(children);
  const control = isValidElement<Record<string, unknown>>(child)
    ? cloneElement(child, {
        id: fieldId,
        "aria-invalid": hasError || undefined,
        "aria-describedby": describedBy,
      })
    : child;
  return (
    <div className={className}>
      <Label htmlFor={fieldId} className="mb-1">
        {label}
      </Label>
      {control}
      {hint && (
        <p id={`${fieldId}-hint`} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      )}
      <FieldError id={`${fieldId}-error`} error={error} />
    </div>
  );
}
