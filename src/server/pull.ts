/** The server's image puller: registry references only. */
import { scanTarget } from '../inventory/index.js';
import type { ImagePuller } from './router.js';

/**
 * Pulls only registry images: a scanner key must not make the server read its own files
 * (`dir:`, `file:` and archive targets are refused).
 */
export function registryPuller(): ImagePuller {
  return (reference, signal) => {
    const ref = reference.trim();
    const scheme = /^([a-z-]+):(?!\d)/.exec(ref)?.[1];
    if (scheme && scheme !== 'registry') throw new Error(`only registry image references can be pulled by the server; got ${scheme}:`);
    return scanTarget(scheme ? ref : `registry:${ref}`, { signal });
  };
}

