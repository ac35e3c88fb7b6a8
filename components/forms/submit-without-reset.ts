"use client";

import { startTransition, type FormEvent } from "react";

/**
 * onSubmit for a form whose result comes back through useActionState. React 19 resets a form after its
 * `action` runs, which puts selects back on their first option while React state still shows the choice:
 * a retry after an error could then send a different method or release than the screen shows. Submitting
 * through onSubmit keeps what the operator chose. `pick` may route by the button that was pressed.
 */
export function submitWithoutReset(pick: (submitter: HTMLElement | null) => ((data: FormData) => void) | undefined) {
  return (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const submitter = (e.nativeEvent as SubmitEvent).submitter ?? null;
    const dispatch = pick(submitter);
    if (!dispatch) return;
    const data = new FormData(e.currentTarget, submitter);
    startTransition(() => dispatch(data));
  };
}
