import type { ReactNode } from "react";
import { cx } from "./cx";

export type AlertTone = "info" | "success" | "warn" | "error";

const tones: Record<AlertTone, { box: string; icon: string; glyph: string }> = {
  info: { box: "border-sky-200 bg-sky-50 text-sky-950", icon: "text-sky-700", glyph: "i" },
  success: { box: "border-emerald-200 bg-emerald-50 text-emerald-950", icon: "text-emerald-700", glyph: "✓" },
  warn: { box: "border-amber-300 bg-amber-50 text-amber-950", icon: "text-amber-700", glyph: "!" },
  error: { box: "border-red-300 bg-red-50 text-red-950", icon: "text-red-700", glyph: "×" },
};

/**
 * A message box. Errors use role="alert" (announced at once); the rest role="status" — which also keeps
 * getByRole("alert") from matching them alongside Next's hidden route announcer in tests.
 */
export function Alert({
  tone = "info",
  title,
  role,
  className,
  children,
  ...rest
}: {
  tone?: AlertTone;
  title?: ReactNode;
  role?: "alert" | "status";
  className?: string;
  children?: ReactNode;
  "data-testid"?: string;
}) {
  const t = tones[tone];
  return (
    <div role={role ?? (tone === "error" ? "alert" : "status")} className={cx("flex gap-3 rounded-md border px-3 py-2.5 text-sm", t.box, className)} {...rest}>
      <span aria-hidden="true" className={cx("mt-px flex size-5 shrink-0 items-center justify-center rounded-full border border-current text-xs font-bold", t.icon)}>
        {t.glyph}
      </span>
      <div className="min-w-0 space-y-0.5">
        {title && <p className="font-semibold">{title}</p>}
        {children && <div className="break-words">{children}</div>}
      </div>
    </div>
  );
}
