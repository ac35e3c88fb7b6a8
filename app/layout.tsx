import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { Providers } from "@/components/providers";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Lifeboat", template: "%s · Lifeboat" },
  description: "Backups before every release, and undoable rollbacks of code and database.",
  robots: { index: false, follow: false },
  // public/icon.svg; public/robots.txt says the same as `robots` to crawlers that never render a page.
  icons: { icon: "/icon.svg" },
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request: Next puts proxy.ts's per-request CSP nonce on its scripts only then
  // (a prerendered page's scripts carry no nonce, and the policy would block them).
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
