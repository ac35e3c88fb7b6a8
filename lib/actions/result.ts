/**
 * What every server action (and, as JSON, every API route) returns. Messages are safe to show: they never
 * carry a password, a token or a connection string.
 */
export type ActionResult<T> =
  | { status: "ok"; data: T; message?: string }
  | { status: "invalid"; message: string; fieldErrors: Record<string, string[]> }
  | { status: "error"; code: string; message: string };

export const ok = <T>(data: T, message?: string): ActionResult<T> =>
  message === undefined ? { status: "ok", data } : { status: "ok", data, message };

export const invalid = (fieldErrors: Record<string, string[]>, message = "Check the highlighted fields."): ActionResult<never> => ({
  status: "invalid",
  message,
  fieldErrors,
});

export const failure = (code: string, message: string): ActionResult<never> => ({ status: "error", code, message });
