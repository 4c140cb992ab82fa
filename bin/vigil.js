#!/usr/bin/env node
// Runs the bundled CLI; `npm run build` produces dist/bundle/ (scripts/build-cli.mjs).
import '../dist/bundle/main.js';
