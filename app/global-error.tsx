"use client";

import "./globals.css";
import RootError from "./error";

/** When the root layout itself fails: the same page as app/error.tsx, with the document around it. */
export default function GlobalError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <RootError {...props} />
      </body>
    </html>
  );
}
