/**
 * `npm run test:quick`: the unit tests only — no real components, no child processes, no
 * full advisory import — for the edit-test loop. How a file is classified: test/suites.ts.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { classifyTests } from './test/suites.js';
import base from './vitest.config.js';

const { unit } = classifyTests(fileURLToPath(new URL('./test', import.meta.url)));

export default defineConfig({ test: { ...base.test, include: unit } });
