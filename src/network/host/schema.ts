/**
 * zod schema of a host network report (what `collectHostNetwork` returns and `vigil network
 * collect` prints), for reading one back from a file or a request.
 */
import { z } from 'zod';

/** A host network report as JSON. */
export const hostNetworkReport = z.object({
  firewallId: z.string().min(1),
  listeners: z.array(
    z.object({
      protocol: z.enum(['tcp', 'udp']),
      port: z.number().int().min(0).max(65535),
      address: z.string(),
      process: z.string().optional(),
      pid: z.number().int().optional(),
    }),
  ),
  interfaces: z.array(z.object({ name: z.string(), addresses: z.array(z.string()) })),
  firewall: z.object({ tool: z.enum(['nftables', 'iptables', 'none']), raw: z.string() }),
});
