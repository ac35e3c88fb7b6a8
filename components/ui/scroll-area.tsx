"use client";

import { useEffect, useRef, useState, type ReactNode } from "react";
import { cx } from "./cx";

/**
 * A box that scrolls sideways inside the page (the page itself never does) and says so when, and only
 * when, its content is wider than it: on a phone the columns on the right are otherwise easy to miss.
 */
export function ScrollArea({ className, children }: { className?: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [overflow, setOverflow] = useState<"none" | "more" | "end">("none");
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      if (el.scrollWidth <= el.clientWidth + 1) setOverflow("none");
      else setOverflow(el.scrollLeft + el.clientWidth >= el.scrollWidth - 2 ? "end" : "more");
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    el.addEventListener("scroll", measure, { passive: true });
    return () => {
      ro.disconnect();
      el.removeEventListener("scroll", measure);
    };
  }, []);
  return (
    <div className="min-w-0">
      <div ref={ref} className={cx("max-w-full overflow-x-auto", className)}>
        {children}
      </div>
      {overflow !== "none" && (
        <p className="mt-1 text-right text-xs text-slate-500" data-testid="scroll-hint">
          {overflow === "more" ? "More columns to the right: scroll the table sideways →" : "← Scroll back for the first columns"}
        </p>
      )}
    </div>
  );
}
