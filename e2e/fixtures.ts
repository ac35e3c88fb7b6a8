import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

// The e2e server is the demo started fresh in .lifeboat/e2e (see playwright.config.ts).
const E2E_DIR = path.resolve(".lifeboat/e2e");

export function demoSecrets(): { adminPassword: string; shopPassword: string; authSecret: string; secretKey: string } {
  return JSON.parse(fs.readFileSync(path.join(E2E_DIR, "secrets.json"), "utf8"));
}

function cluster(): { port: number; password: string } {
  return JSON.parse(fs.readFileSync(path.join(E2E_DIR, "pg", "cluster.json"), "utf8"));
}

export function metaUrl(): string {
  const c = cluster();
  return `postgres://postgres:${encodeURIComponent(c.password)}@127.0.0.1:${c.port}/lifeboat`;
}

export function shopUrl(): string {
  const c = cluster();
  return `postgres://shop_owner:${encodeURIComponent(demoSecrets().shopPassword)}@127.0.0.1:${c.port}/shop`;
}

/** Creates a user through the real CLI (npm run user:add) and returns the password it set. */
export function addUser(email: string, role: "viewer" | "operator" | "admin"): string {
  const password = `pw-${role}-${Math.random().toString(36).slice(2)}-long`;
  const s = demoSecrets();
  execFileSync(
    "node_modules/.bin/tsx",
    ["--conditions=react-server", "scripts/user-add.ts", "--email", email, "--role", role, "--password", password],
    { env: { ...process.env, DATABASE_URL: metaUrl(), AUTH_SECRET: s.authSecret, LIFEBOAT_SECRET_KEY: s.secretKey }, stdio: "pipe" },
  );
  return password;
}

export async function login(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: /sign in/i }).click();
  await expect(page).toHaveURL(/\/apps/);
}

export const ADMIN = "admin@lifeboat.local";

/** What the demo app serves right now: its release and the banner it reads from its database. */
export async function demoAppState(): Promise<{ release: string; banner: string }> {
  const env = JSON.parse(fs.readFileSync(path.join(E2E_DIR, "apps", "shop", "bin", "app.env.json"), "utf8"));
  const res = await fetch(`http://127.0.0.1:${env.PORT}/api`);
  return res.json();
}

export async function setBanner(value: string): Promise<void> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(shopUrl(), { max: 1, onnotice: () => {} });
  await sql`UPDATE settings SET value = ${value} WHERE key = 'banner'`;
  await sql.end();
}
