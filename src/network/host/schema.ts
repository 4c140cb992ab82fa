/**
 * zod schema of a host network report (what `collectHostNetwork` returns and `vigil network
 * collect` prints), for reading one back from a file or a request.
 */
import { z } from 'zod';

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex digits>');

/** A published port of a container. */
export const publishedPort = z
  .object({
    protocol: z.enum(['tcp', 'udp']),
    hostPort: z.number().int().min(1).max(65535),
    containerPort: z.number().int().min(1).max(65535),
    hostIp: z.string().max(64).optional(),
  })
  .strict();

/** A container on a host: recorded by its runtime (`docker`), or declared through the API. */
export const hostContainer = z
  .object({
    id: z.string().min(1).max(200),
    name: z.string().max(300).optional(),
    image: z.string().min(1).max(1000),
    imageDigests: z.array(digest).max(20),
    running: z.boolean(),
    hostNetwork: z.boolean().optional(),
    ports: z.array(publishedPort).max(1000),
    runtime: z.enum(['docker', 'declared']),
  })
  .strict();

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
  containers: z.array(hostContainer).max(5000).optional(),
});
