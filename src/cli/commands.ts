import type { Command } from 'commander';

/** Adds one top-level command (with its subcommands) to the program. */
export type RegisterCommand = (program: Command) => void;

/** A top-level command by name, loaded on demand. */
export interface CommandEntry {
  name: string;
  load(): Promise<RegisterCommand>;
}

/**
 * The CLI's commands, one line each; each lives in its own file beside this one. Loaded
 * lazily so that `vigil version compare` does not pay for the server's dependencies.
 */
export const commands: CommandEntry[] = [
  { name: 'server', load: async () => (await import('./server.js')).registerServer },
  { name: 'admin', load: async () => (await import('./admin.js')).registerAdmin },
  { name: 'sbom', load: async () => (await import('./sbom.js')).registerSbom },
  { name: 'db', load: async () => (await import('./db.js')).registerDb },
  { name: 'scan', load: async () => (await import('./scan.js')).registerScan },
  { name: 'version', load: async () => (await import('./version.js')).registerVersion },
  { name: 'worker', load: async () => (await import('./worker.js')).registerWorker },
  { name: 'agent', load: async () => (await import('./agent.js')).registerAgent },
  { name: 'network', load: async () => (await import('./network.js')).registerNetwork },
  { name: 'findings', load: async () => (await import('./findings.js')).registerFindings },
  { name: 'vex', load: async () => (await import('./vex.js')).registerVex },
];
