import type { NextConfig } from "next";
import { API_CONTENT_SECURITY_POLICY, STATIC_SECURITY_HEADERS } from "./lib/http/security-headers";

const nextConfig: NextConfig = {
  // postgres.js and bcryptjs run on the server only; keep them out of the bundler.
  serverExternalPackages: ["postgres", "bcryptjs"],
  poweredByHeader: false,
  typedRoutes: false,
  // forbidden() (a real 403 with app/(dashboard)/forbidden.tsx) needs it in Next 16.
  experimental: { authInterrupts: true },
  async headers() {
    return [
      { source: "/:path*", headers: [...STATIC_SECURITY_HEADERS] },
      // Pages get a per-request policy with a nonce from proxy.ts; the API never serves a document.
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CONTENT_SECURITY_POLICY }] },
    ];
  },
};

export default nextConfig;
