/**
 * A domain error: a code for programs and a message written for the operator, saying what happened and
 * what to do. Safe to show in the browser (never carries passwords or connection strings).
 */
export class OpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "OpError";
  }
}

export const isOpError = (e: unknown): e is OpError => e instanceof OpError;
