import { langExtractBench } from './lang-extract.js';
import { vulndbBench } from './vulndb.js';

/** One benchmark: prints its own figures (with the goal beside each) to stdout. */
export interface Bench {
  name: string;
  run(): Promise<void>;
}

/** Every benchmark, one line each; each lives in its own file beside this one. */
export const benches: Bench[] = [
  vulndbBench,
  langExtractBench,
];
