import type { Command } from 'commander';
import { registerAdmin } from './admin.js';
import { registerDb } from './db.js';
import { registerSbom } from './sbom.js';
import { registerScan } from './scan.js';
import { registerServer } from './server.js';
import { registerVersion } from './version.js';
import { registerWorker } from './worker.js';

/** Adds one top-level command (with its subcommands) to the program. */
export type RegisterCommand = (program: Command) => void;

/** The CLI's commands, one line each; each lives in its own file beside this one. */
export const commands: RegisterCommand[] = [
  registerServer,
  registerAdmin,
  registerSbom,
  registerDb,
  registerScan,
  registerVersion,
  registerWorker,
];
