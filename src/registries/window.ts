/** How long a registry image stays eligible for continuous re-evaluation. */
export type RescanWindow =
  | { kind: 'LIFETIME' }
  | { kind: 'DAYS_SINCE_PUSH'; days: number }
  | { kind: 'DAYS_SINCE_PULL'; days: number };

/**
 * True while the image is inside its window. "Since pull" counts from the later of the last
 * pull and the push (an image never pulled is judged by its push).
 */
export function withinWindow(window: RescanWindow, image: { pushedAt: number; lastPulledAt?: number | null }, now = Date.now()): boolean {
  if (window.kind === 'LIFETIME') return true;
  const from = window.kind === 'DAYS_SINCE_PUSH' ? image.pushedAt : Math.max(image.pushedAt, image.lastPulledAt ?? 0);
  return now - from <= window.days * 86_400_000;
}
