"use client";

import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** A secret (password or API token) shown once, with a copy button; it is never shown again. */
export function OneTimeSecret({ title, secret, children }: { title: string; secret: string; children?: React.ReactNode }) {
  const [copied, setCopied] = useState(false);
  return (
    <Alert tone="success" title={title}>
      <p className="mb-2">{children ?? "Copy it now: it is shown only this once and is not stored anywhere you can read it back."}</p>
      <div className="flex flex-wrap items-center gap-2">
        <code data-testid="one-time-secret" className="max-w-full rounded border border-emerald-300 bg-white px-2 py-1 font-mono text-sm break-all text-slate-900 select-all">
          {secret}
        </code>
        <Button
          type="button"
          size="sm"
          onClick={() => navigator.clipboard?.writeText(secret).then(() => setCopied(true), () => setCopied(false))}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </Alert>
  );
}
