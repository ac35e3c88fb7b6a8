"use client";

import { useRouter } from "next/navigation";
import { startTransition } from "react";
import Link from "next/link";
import { MetadataUnreachable } from "@/components/errors/metadata-unreachable";
import { Alert } from "@/components/ui/alert";
import { Button, buttonClasses } from "@/components/ui/button";
import { METADATA_UNREACHABLE_DIGEST } from "@/lib/db/outage";

/** What a dashboard page shows when it fails: Lifeboat's database is unreachable, or an error with a reference. */
export default function DashboardError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  // A server component failed: fetch it again (refresh) and re-render the boundary (reset) in one go.
  const retry = () => startTransition(() => {
    router.refresh();
    reset();
  });
  if (error.digest === METADATA_UNREACHABLE_DIGEST) return <MetadataUnreachable onRetry={retry} />;
  return (
    <div className="max-w-2xl space-y-4">
      <h1 className="text-2xl font-semibold text-slate-900">This page could not be loaded</h1>
      <Alert tone="error" title="Something failed on the server.">
        Nothing was changed by opening this page. {error.digest ? <>The server log has the details under reference <code className="font-mono">{error.digest}</code>.</> : null}
      </Alert>
      <div className="flex gap-2">
        <Button type="button" variant="primary" onClick={retry}>
          Try again
        </Button>
        <Link href="/apps" className={buttonClasses({ variant: "secondary" })}>
          Back to apps
        </Link>
      </div>
    </div>
  );
}
