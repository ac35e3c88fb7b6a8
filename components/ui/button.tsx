import type { ButtonHTMLAttributes } from "react";
import { cx } from "./cx";
import { Spinner } from "./spinner";

export type ButtonVariant = "primary" | "secondary" | "danger" | "ghost";
export type ButtonSize = "sm" | "md" | "lg";

const base =
  "inline-flex items-center justify-center gap-1.5 whitespace-nowrap rounded-md font-medium transition-colors " +
  "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600 " +
  "disabled:cursor-not-allowed disabled:opacity-55";

const variants: Record<ButtonVariant, string> = {
  primary: "bg-sky-700 text-white shadow-sm hover:bg-sky-800 disabled:hover:bg-sky-700",
  secondary: "border border-slate-300 bg-white text-slate-800 shadow-sm hover:bg-slate-50 disabled:hover:bg-white",
  danger: "bg-red-700 text-white shadow-sm hover:bg-red-800 focus-visible:outline-red-600 disabled:hover:bg-red-700",
  ghost: "text-slate-700 hover:bg-slate-100 hover:text-slate-900 disabled:hover:bg-transparent",
};

const sizes: Record<ButtonSize, string> = {
  sm: "h-7 px-2.5 text-xs",
  md: "h-9 px-3.5 text-sm",
  lg: "h-11 px-5 text-base",
};

/** The classes of a Button, for links and labels that should look like one. */
export function buttonClasses(opts: { variant?: ButtonVariant; size?: ButtonSize; className?: string } = {}): string {
  return cx(base, variants[opts.variant ?? "secondary"], sizes[opts.size ?? "md"], opts.className);
}

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  size?: ButtonSize;
  /** Shows a spinner, disables the button and, if given, swaps the label for `pendingLabel`. */
  pending?: boolean;
  pendingLabel?: string;
}

/**
 * A button. `type` keeps the HTML default (submit inside a form); pass type="button" for anything that
 * is not the form's submit.
 */
export function Button({ variant, size, pending = false, pendingLabel, disabled, className, children, ...rest }: ButtonProps) {
  return (
    <button {...rest} disabled={disabled || pending} aria-busy={pending || undefined} className={buttonClasses({ variant, size, className })}>
      {pending && <Spinner />}
      {pending && pendingLabel ? pendingLabel : children}
    </button>
  );
}
