import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What authorize() learned about a sign-in that came through the sign-in form's server action. That action
 * writes the one audit entry (auth.sign_in) for the call, so authorize() hands its facts over instead of
 * writing a second one (auth.credentials). Carried in async context, not in the request: a client posting
 * to /api/auth/callback/credentials cannot claim to be "the form" and go unaudited.
 */
export interface FormSignInFacts {
  client?: string;
  device?: "known" | "new";
}

export const formSignIn = new AsyncLocalStorage<FormSignInFacts>();
