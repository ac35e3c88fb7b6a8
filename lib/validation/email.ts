import { z } from "zod";

// The one email rule: user:add, the Users page, the CLI and the sign-in form all parse with it, so an account
// can never be created that the sign-in form refuses to accept.
export const emailSchema = z.string().trim().toLowerCase().min(3, "enter an email address").max(320).email("enter an email address");
