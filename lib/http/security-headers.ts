// Response headers every Lifeboat response carries (issue 7 finding 11). Pure: next.config.ts sets the static
// ones on every path, proxy.ts sets the per-request Content-Security-Policy on pages (a fresh nonce each time,
// which Next reads from the request's CSP header and puts on its own scripts). See the Next 16 CSP guide:
// node_modules/next/dist/docs/01-app/02-guides/content-security-policy.md.

/** On every response, pages, API and assets alike. */
export const STATIC_SECURITY_HEADERS: readonly { key: string; value: string }[] = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  // Lifeboat's URLs name apps, releases and jobs: never send them to another site.
  { key: "Referrer-Policy", value: "same-origin" },
  // For browsers without CSP frame-ancestors; the CSP says the same.
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
];

/** API responses are JSON or CSV, never a document: nothing may load or frame them. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A random nonce, base64, 128 bits (Web Crypto: proxy.ts may run where node:crypto is not). */
export function createNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The pages' policy. Scripts only with this response's nonce ('strict-dynamic' lets Next's loader add its
 * chunks). Styles from our own files or with the nonce; style *attributes* (a progress bar's width) are
 * allowed inline — nonces cannot cover attributes, and a style attribute cannot run code. Development adds
 * what React's dev tooling needs ('unsafe-eval', injected styles).
 */
export function pageContentSecurityPolicy(nonce: string, opts: { dev: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ""}`,
    opts.dev ? "style-src 'self' 'unsafe-inline'" : `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
