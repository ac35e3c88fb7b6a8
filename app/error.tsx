"use client";

import { useRouter } from "next/navigation";
import { startTransition } from "react";
import { BrandMark } from "@/components/brand-mark";
import { MetadataUnreachable } from "@/components/errors/metadata-unreachable";
import { Alert } from "@/components/ui/alert";
import { METADATA_UNREACHABLE_DIGEST } from "@/lib/db/outage";

/**
 * Errors above the dashboard's own boundary: its layout (which reads the session from the metadata database)
 * and the sign-in page. Lifeboat's page, never Next's generic one.
 */
export default function RootError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  // A server component failed: fetch it again (refresh) and re-render the boundary (reset) in one go.
  const retry = () => startTransition(() => {
    router.refresh();
    reset();
  });
  return (
    <main className="min-h-screen bg-slate-100">
      <div className="flex items-center gap-2 bg-slate-900 px-6 py-3 text-white">
        <BrandMark className="size-6 text-white" />
        <span className="text-lg font-semibold tracking-tight">Lifeboat</span>
      </div>
      {error.digest === METADATA_UNREACHABLE_DIGEST ? (
        <MetadataUnreachable onRetry={retry} />
      ) : (
        <div className="mx-auto max-w-2xl space-y-4 px-4 py-10">
          <h1 className="text-2xl font-semibold text-slate-900">This page could not be loaded</h1>
          <Alert tone="error" title="Something failed on the server.">
            Nothing was changed by opening this page.{" "}
            {error.digest ? <>The server log has the details under reference <code className="font-mono">{error.digest}</code>.</> : null}
          </Alert>
          <button type="button" onClick={retry} className="rounded-md bg-sky-700 px-4 py-2 text-sm font-semibold text-white hover:bg-sky-800">
            Try again
          </button>
        </div>
      )}
    </main>
  );
}
