"use client";

import { useState } from "react";
import { cx } from "./cx";

/** Copies `text` to the clipboard and says so; the clipboard needs a secure context, so it says when it could not. */
export function CopyButton({ text, label = "Copy", className }: { text: string; label?: string; className?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <button
      type="button"
      onClick={() => {
        const done = (s: "copied" | "failed") => {
          setState(s);
          setTimeout(() => setState("idle"), 2000);
        };
        if (!navigator.clipboard) return done("failed");
        navigator.clipboard.writeText(text).then(() => done("copied"), () => done("failed"));
      }}
      className={cx("rounded border border-slate-300 bg-white px-2 py-0.5 text-xs text-slate-700 hover:bg-slate-50", className)}
    >
      <span aria-live="polite">{state === "copied" ? "Copied" : state === "failed" ? "Select and copy" : label}</span>
    </button>
  );
}

/** A command in a dark block that wraps instead of widening its container, with a copy button. */
export function CommandBlock({ text, label }: { text: string; label?: string }) {
  return (
    <div className="space-y-1">
      <div className="flex items-center justify-between gap-2">
        {label && <p className="text-xs font-medium text-slate-600">{label}</p>}
        <CopyButton text={text} className="ml-auto" />
      </div>
      <pre className="max-w-full overflow-x-auto rounded bg-slate-950 p-2 font-mono text-xs break-all whitespace-pre-wrap text-slate-100">{text}</pre>
    </div>
  );
}
