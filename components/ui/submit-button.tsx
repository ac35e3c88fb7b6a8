"use client";

import { useFormStatus } from "react-dom";
import { Button, type ButtonProps } from "./button";

/** A submit Button that shows its form's pending state by itself (useFormStatus). */
export function SubmitButton({ pending, ...props }: Omit<ButtonProps, "type">) {
  const status = useFormStatus();
  return <Button {...props} type="submit" pending={pending || status.pending} />;
}
