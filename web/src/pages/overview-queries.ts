/**
 * What the overview loads, apart from its page so that the app can start these requests
 * while the page's code (the chart library included) is still arriving. Each is keyed by its name.
 */
import type { ApiContext } from '../api.js';
import { getMttr, getOverview, getTrend } from '../api.js';

export const overviewQueries = {
  overview: (ctx: ApiContext) => getOverview(ctx),
  trend: (ctx: ApiContext) => getTrend(ctx, 30),
  mttr: (ctx: ApiContext) => getMttr(ctx, 12),
};
