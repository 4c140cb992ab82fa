/**
 * Starts the matching worker from its TypeScript source, for runs from the sources (tsx,
 * Vitest): a worker thread does not inherit the loader its parent runs under, so this one
 * loads tsx's. The compiled CLI starts its bundled `match-worker.js` instead.
 */
import { URL } from 'node:url';
import { tsImport } from 'tsx/esm/api';

await tsImport(new URL('./match-worker.ts', import.meta.url).href, import.meta.url);
