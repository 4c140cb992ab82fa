/** A form's submission: busy while its action runs, and the error it ended with. */
import { useState } from 'react';
import type { FormEvent } from 'react';

export interface Submission {
  busy: boolean;
  error?: Error;
  onSubmit(e: FormEvent): void;
}

/** Runs `action` on submit (one at a time), keeping its busy state and error for the form to show. */
export function useSubmit(action: () => Promise<void>): Submission {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  function onSubmit(e: FormEvent): void {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    action()
      .catch((err: unknown) => setError(err instanceof Error ? err : new Error(String(err))))
      .finally(() => setBusy(false));
  }
  return { busy, error, onSubmit };
}
