import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // postgres.js and bcryptjs run on the server only; keep them out of the bundler.
  serverExternalPackages: ["postgres", "bcryptjs"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
