import type { HTMLAttributes, ReactNode, TdHTMLAttributes, ThHTMLAttributes } from "react";
import { cx } from "./cx";
import { ScrollArea } from "./scroll-area";

// Table primitives: a bordered table that scrolls sideways inside its box (with a hint when it does) with dense rows and tabular numbers.

/** `label` names the table for screen readers and tests (getByRole("table", { name })). */
export function Table({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <ScrollArea className={cx("rounded-lg border border-slate-200 bg-white shadow-xs", className)}>
      <table aria-label={label} className="min-w-full border-collapse text-left text-sm">
        {children}
      </table>
    </ScrollArea>
  );
}

export function THead({ children }: { children: ReactNode }) {
  return <thead className="border-b border-slate-200 bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">{children}</thead>;
}

export function TBody({ children }: { children: ReactNode }) {
  return <tbody className="divide-y divide-slate-100">{children}</tbody>;
}

export function Tr({ className, ...rest }: HTMLAttributes<HTMLTableRowElement>) {
  return <tr {...rest} className={cx("align-top hover:bg-slate-50/70", className)} />;
}

type Align = "left" | "right" | "center";
const alignClass = (a: Align | undefined) => (a === "right" ? "text-right" : a === "center" ? "text-center" : "");

export function Th({ align, className, ...rest }: ThHTMLAttributes<HTMLTableCellElement> & { align?: Align }) {
  return <th scope="col" {...rest} className={cx("px-3 py-2 whitespace-nowrap", alignClass(align) || "text-left", className)} />;
}

export function Td({
  align,
  mono,
  muted,
  nowrap,
  className,
  ...rest
}: TdHTMLAttributes<HTMLTableCellElement> & { align?: Align; mono?: boolean; muted?: boolean; nowrap?: boolean }) {
  return (
    <td
      {...rest}
      className={cx(
        "px-3 py-2",
        alignClass(align),
        align === "right" && "tabular-nums",
        mono && "font-mono text-xs",
        muted ? "text-slate-500" : "text-slate-800",
        nowrap && "whitespace-nowrap",
        className,
      )}
    />
  );
}
