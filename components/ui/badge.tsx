import type { ReactNode } from "react";
import { cx } from "./cx";

export type BadgeTone = "neutral" | "green" | "yellow" | "red" | "blue";

const tones: Record<BadgeTone, { badge: string; dot: string }> = {
  neutral: { badge: "bg-slate-100 text-slate-700 ring-slate-300", dot: "bg-slate-500" },
  green: { badge: "bg-emerald-50 text-emerald-800 ring-emerald-300", dot: "bg-emerald-600" },
  yellow: { badge: "bg-amber-50 text-amber-900 ring-amber-300", dot: "bg-amber-500" },
  red: { badge: "bg-red-50 text-red-800 ring-red-300", dot: "bg-red-600" },
  blue: { badge: "bg-sky-50 text-sky-800 ring-sky-300", dot: "bg-sky-600" },
};

/** A short status word. Give it text that stands alone: colour is never the only signal. */
export function Badge({ tone = "neutral", dot = false, title, className, children }: { tone?: BadgeTone; dot?: boolean; title?: string; className?: string; children: ReactNode }) {
  return (
    <span
      title={title}
      className={cx("inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset", tones[tone].badge, className)}
    >
      {dot && <span aria-hidden="true" className={cx("size-1.5 rounded-full", tones[tone].dot)} />}
      {children}
    </span>
  );
}
