import { continuousBench } from './continuous.js';
import { langExtractBench } from './lang-extract.js';
import { vulndbBench } from './vulndb.js';
import { versioningBench } from './versioning.js';
import { inventoryBench, layersBench } from './inventory.js';
import { scanBench } from './scan.js';
import { serverBench } from './server.js';
import { dashboardBench } from './dashboard.js';
import { networkBench } from './network.js';
import { hostBench } from './host.js';
import { startupBench } from './startup.js';

/** One benchmark: prints its own figures (with the goal beside each) to stdout. */
export interface Bench {
  name: string;
  run(): Promise<void>;
}

/** Every benchmark, one line each; each lives in its own file beside this one. */
export const benches: Bench[] = [
  inventoryBench,
  layersBench,
  vulndbBench,
  langExtractBench,
  versioningBench,
  serverBench,
  continuousBench,
  scanBench,
  dashboardBench,
  networkBench,
  hostBench,
  startupBench,
];
