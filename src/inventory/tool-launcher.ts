/**
 * Inflater tools started by a small helper process instead of by this one. Node's `spawn` forks
 * the whole process (libuv 1.46 uses `fork`, not `vfork` or `posix_spawn`, on Linux): the fork
 * itself takes 7–20 ms of the main thread as the heap grows, and afterwards every page the
 * process writes takes a copy-on-write fault once — 1,300–2,500 of them per single-layer scan,
 * against 200–450 when the helper starts the tool. A long-lived process (server and worker jobs,
 * the bench) turns the launcher on ({@link useToolLauncher}); one-shot commands fork directly, as
 * a young process forks cheaply and starting a helper would cost more than it saves.
 *
 * The helper receives the tool's output socket (and, for a fed tool, its input socket) as handles
 * over its IPC channel, opens a blob through `/proc/<pid>/fd/<n>` (the very file this process
 * holds open), and reports the exit status and standard error back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { debug } from '../debug.js';

/** Most of a failing tool's standard error kept for its message. */
export const MAX_STDERR = 4096;

/** The helper's code (CommonJS, run with `node -e`). A tool is reported once: its error or its exit. */
const LAUNCHER_SOURCE = `
const { spawn } = require('node:child_process');
const { openSync, closeSync } = require('node:fs');
const children = new Map();
const inputs = new Map();
process.on('disconnect', () => {
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(0);
});
process.on('message', (m, handle) => {
  if (m.op === 'input') return void inputs.set(m.id, handle);
  if (m.op === 'kill') return void (children.get(m.id) && children.get(m.id).kill('SIGKILL'));
  let reported = false;
  const report = (answer) => {
    if (reported) return;
    reported = true;
    children.delete(m.id);
    if (process.connected) process.send(Object.assign({ id: m.id }, answer));
  };
  const input = m.file !== undefined ? undefined : inputs.get(m.id);
  inputs.delete(m.id);
  let fd;
  try {
    fd = m.file !== undefined ? openSync(m.file, 'r') : undefined;
    const child = spawn(m.command, m.args, { stdio: [fd !== undefined ? fd : input, handle, 'pipe'] });
    children.set(m.id, child);
    process.send({ id: m.id, started: true });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      if (stderr.length < ${MAX_STDERR}) stderr += chunk.toString('utf8');
    });
    child.once('error', (err) => report({ error: err.message, code: err.code }));
    child.once('close', (code, signal) => report({ status: code, signal, stderr }));
  } catch (err) {
    report({ error: String((err && err.message) || err), code: err && err.code });
  } finally {
    // The child has its own copies.
    if (fd !== undefined) closeSync(fd);
    handle.destroy();
    if (input) input.destroy();
  }
});
`;

/** What the helper reports of a tool: that it started (or failed to), then how it ended. */
type Report = { id: number; started: true } | { id: number; error: string; code?: string } | { id: number; status: number | null; signal: NodeJS.Signals | null; stderr: string };

/** A tool started by the launcher. */
export interface LaunchedTool {
  /** Settles once the tool was started (its input opened) or failed to be. */
  readonly started: Promise<void>;
  /** Resolves with the tool's exit status, signal and standard error; rejects when it could not start. */
  readonly exit: Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Kills the tool (SIGKILL). */
  kill(): void;
}

let enabled = false;
let launcher: ChildProcess | undefined;
interface Running {
  started(): void;
  resolve(r: Extract<Report, { status: unknown }>): void;
  reject(err: Error): void;
}
const running = new Map<number, Running>();
let nextId = 0;

/**
 * Starts inflater tools through the launcher from now on, where it can work (Linux, whose
 * `/proc/<pid>/fd` lets it open this process's blob files). For long-lived processes.
 */
export function useToolLauncher(on = true): void {
  enabled = on && process.platform === 'linux' && existsSync(`/proc/${process.pid}/fd`);
}

/** Whether tools start through the launcher. */
export function toolLauncherOn(): boolean {
  return enabled;
}

/** The launcher's process id while it runs (benchmarks count its children's CPU time as this process's). */
export function toolLauncherPid(): number | undefined {
  return launcher?.pid;
}

/** The launcher, started on first use; undefined when off or when it cannot start. */
function launcherProcess(): ChildProcess | undefined {
  if (!enabled) return undefined;
  if (launcher) return launcher;
  let helper: ChildProcess;
  try {
    helper = spawn(process.execPath, ['-e', LAUNCHER_SOURCE], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  } catch {
    enabled = false;
    return undefined;
  }
  helper.on('message', (report: Report) => {
    const tool = running.get(report.id);
    if (!tool) return;
    if ('started' in report) return tool.started();
    running.delete(report.id);
    idle(helper);
    if ('error' in report) tool.reject(Object.assign(new Error(report.error), report.code ? { code: report.code } : {}));
    else tool.resolve(report);
  });
  const gone = (why: string): void => {
    if (launcher === helper) launcher = undefined;
    for (const [id, tool] of running) {
      running.delete(id);
      tool.reject(new Error(`tool launcher ${why}`));
    }
  };
  helper.once('error', (err) => gone(`failed: ${err.message}`));
  helper.once('exit', (code, signal) => gone(`exited (${signal ?? `status ${code}`})`));
  launcher = helper;
  idle(helper);
  debug('tool launcher started', { pid: helper.pid });
  return helper;
}

/** Lets this process exit while no tool runs (the launcher ends when its channel closes). */
function idle(helper: ChildProcess): void {
  if (running.size > 0) return;
  helper.unref();
  helper.channel?.unref();
}

/**
 * A socket to send for good. Node tracks a socket its server accepted per server across the
 * channel (cluster's bookkeeping: an `exit` listener here and an `internalMessage` listener in
 * the helper, never removed), which would add one of each per tool started; the servers of these
 * pairs are closed once connected, so the socket leaves its server behind.
 */
function handedOver(socket: Socket): Socket {
  (socket as Socket & { server: unknown }).server = null;
  return socket;
}

/**
 * Starts `command args` through the launcher, reading `input` (a file descriptor of this process,
 * or a socket whose other end this process writes) and writing into `output`; both sockets are
 * handed over (and closed here). Undefined when the launcher is off: the caller spawns itself.
 */
export function launchTool(command: string, args: string[], input: number | Socket, output: Socket): LaunchedTool | undefined {
  const helper = launcherProcess();
  if (!helper) return undefined;
  const id = ++nextId;
  let started!: () => void;
  const starting = new Promise<void>((resolve) => (started = resolve));
  const exit = new Promise<Extract<Report, { status: unknown }>>((resolve, reject) => running.set(id, { started, resolve, reject }));
  exit.catch(() => undefined);
  // A tool that failed to start has nothing more to wait for.
  exit.then(started, started);
  helper.ref();
  helper.channel?.ref();
  if (typeof input !== 'number') helper.send({ op: 'input', id }, handedOver(input));
  helper.send({ op: 'start', id, command, args, ...(typeof input === 'number' ? { file: `/proc/${process.pid}/fd/${input}` } : {}) }, handedOver(output));
  return {
    started: starting,
    exit,
    kill: () => {
      if (running.has(id)) helper.send({ op: 'kill', id });
    },
  };
}
