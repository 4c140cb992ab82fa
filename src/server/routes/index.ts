/**
 * The route registry: every route module, one line each. To add routes for a new
 * resource, write `routes/<resource>.ts` exporting a {@link RouteModule} (declare each
 * route with `router.route({...})`: zod schemas, roles, handler) and append it here.
 */
import type { RouteModule } from '../router.js';
import { accountRoutes } from './accounts.js';
import { coverageRoutes } from './coverage.js';
import { dashboardRoutes } from './dashboard.js';
import { findingRoutes } from './findings.js';
import { healthRoutes } from './health.js';
import { resourceRoutes } from './resources.js';
import { scanRoutes } from './scans.js';
import { suppressionRuleRoutes } from './suppression-rules.js';
import { registryRoutes } from './registries.js';
import { registryHookRoutes } from './registry-hooks.js';
import { subscriptionRoutes } from './subscriptions.js';
import { eventRoutes } from './events.js';
import { networkRoutes } from './network.js';
import { remediationRoutes } from './remediation.js';
import { complianceRoutes } from './compliance.js';
import { sbomRoutes } from './sbom.js';
import { vexRoutes } from './vex.js';
import { runningImageRoutes } from './running-images.js';

/** Every route module, registered in this order. */
export const routeModules: RouteModule[] = [
  healthRoutes,
  accountRoutes,
  resourceRoutes,
  scanRoutes,
  findingRoutes,
  suppressionRuleRoutes,
  coverageRoutes,
  dashboardRoutes,
  registryRoutes,
  registryHookRoutes,
  subscriptionRoutes,
  eventRoutes,
  networkRoutes,
  remediationRoutes,
  complianceRoutes,
  sbomRoutes,
  vexRoutes,
  runningImageRoutes,
];
