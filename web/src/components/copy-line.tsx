/**
 * A command on one line with a copy button: the finding panel's upgrade line and the plan's
 * actions.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';

/** Shows `text` as code with a Copy button (`label` names it for screen readers). */
export function CopyLine(props: { text: string; label?: string }): ReactNode {
  const [copied, setCopied] = useState(false);
  return (
    <div className="copyline">
      <code>{props.text}</code>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(props.text).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
        aria-label={props.label ?? 'Copy the upgrade command'}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
