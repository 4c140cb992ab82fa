import type { Router } from '../server/router.js';
import { log } from '../log.js';
import { startContinuous, type Continuous } from './runtime.js';
import { HttpProblem } from '../server/problem.js';

const runtimes = new WeakMap<object, Promise<Continuous>>();

/**
 * The continuous-scanning runtime of a server, started once per app: when the server
 * starts listening, or at the first call of a route that needs it. It stops with the app.
 * Settings come from the environment (docs/continuous.md).
 */
export function continuousFor(router: Router): () => Promise<Continuous> {
  const key = router.app;
  const get = (): Promise<Continuous> => {
    let p = runtimes.get(key);
    if (!p) {
      p = startContinuous({
        db: router.ctx.db,
        role: 'server',
        vulndbPath: router.ctx.config.vulndbPath,
        // Scans posted to the server use the reopened database too.
        onEngine: (engine) => {
          router.ctx.engine = engine;
        },
      });
      p.catch((err: unknown) => log.error({ err }, 'continuous scanning failed to start'));
      runtimes.set(key, p);
    }
    return p;
  };
  if (!(router.app as unknown as { [k: symbol]: boolean })[hooked]) {
    (router.app as unknown as { [k: symbol]: boolean })[hooked] = true;
    router.app.addHook('onListen', async () => {
      await get().catch(() => undefined);
    });
    router.app.addHook('onClose', async () => {
      const p = runtimes.get(key);
      if (p) await (await p.catch(() => undefined))?.stop();
    });
  }
  return async () => {
    try {
      return await get();
    } catch (err) {
      throw new HttpProblem(503, `continuous scanning is not available: ${(err as Error).message}`);
    }
  };
}

const hooked = Symbol('vigil.continuous');

/** The runtime started for an app, if any (tests and embedding code reach the queue through it). */
export function continuousHandle(app: object): Promise<Continuous> | undefined {
  return runtimes.get(app);
}
