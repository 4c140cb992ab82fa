/**
 * zod schema of the YAML topology format (docs/network.md): strict, since it is Vigil's own
 * format and a misspelt key (`pubicAddresses`) must be an error, not a silently open port.
 */
import { z } from 'zod';

const id = z.string().min(1);
const type = z.string().min(1).optional();
const cidr = z.string().min(1);
const protocol = z.union([z.enum(['tcp', 'udp', 'all', 'icmp', 'icmpv6']), z.number().int().min(0).max(255)]);
const ports = z.union([z.number().int(), z.string()]).optional();
const list = <T extends z.ZodType>(item: T) => z.array(item).default([]);

const aclRule = z.strictObject({
  rule: z.number().int().optional(),
  protocol: protocol.default('all'),
  ports,
  source: cidr.optional(),
  destination: cidr.optional(),
  action: z.enum(['allow', 'deny']),
});

const groupRule = z.strictObject({
  protocol: protocol.default('all'),
  ports,
  source: cidr.optional(),
  group: id.optional(),
});

/** One YAML topology file; a directory's files are merged. */
export const topologyFile = z.strictObject({
  networks: list(z.strictObject({ id, type, cidrs: list(cidr) })),
  subnets: list(z.strictObject({ id, type, network: id, cidrs: z.array(cidr).min(1), routeTable: id.optional(), acl: id.optional() })),
  gateways: list(
    z.strictObject({
      id,
      type,
      kind: z.enum(['internet', 'nat', 'egress-only']).default('internet'),
      networks: z.array(id).min(1),
      publicAddress: z.string().optional(),
      portForwards: list(z.strictObject({ protocol: z.enum(['tcp', 'udp']), port: z.number().int().min(0).max(65535), to: id, toPort: z.number().int().min(0).max(65535).optional() })),
    }),
  ),
  routeTables: list(
    z.strictObject({
      id,
      type,
      network: id,
      main: z.boolean().default(false),
      routes: list(z.strictObject({ destination: cidr, target: id, blackhole: z.boolean().default(false) })),
    }),
  ),
  acls: list(z.strictObject({ id, type, network: id.optional(), stateful: z.boolean().default(false), inbound: list(aclRule), outbound: list(aclRule) })),
  securityGroups: list(z.strictObject({ id, type, inbound: list(groupRule) })),
  instances: list(
    z.strictObject({
      id,
      type,
      state: z.string().default('running'),
      interfaces: list(
        z.strictObject({
          id: id.optional(),
          type,
          subnet: id,
          privateAddresses: list(z.string()),
          publicAddresses: list(z.string()),
          securityGroups: list(id),
        }),
      ),
      /** A host network report file (`vigil network collect` output), relative to the topology directory. */
      hostReport: z.string().min(1).optional(),
      host: z
        .strictObject({
          firewall: z.strictObject({ type, defaultAction: z.enum(['allow', 'deny']).default('allow'), rules: list(aclRule) }).optional(),
          listeners: z
            .array(
              z.strictObject({
                protocol: z.enum(['tcp', 'udp']),
                port: z.number().int().min(0).max(65535),
                address: z.string().default('0.0.0.0'),
                process: z.string().optional(),
                pid: z.number().int().optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    }),
  ),
  loadBalancers: list(
    z.strictObject({
      id,
      type,
      internetFacing: z.boolean().default(true),
      network: id,
      subnets: z.array(id).min(1),
      securityGroups: list(id),
      families: z.array(z.union([z.literal(4), z.literal(6)])).default([4]),
      preservesClientAddress: z.boolean().default(false),
      publicAddresses: list(z.string()),
      listeners: list(
        z.strictObject({
          protocol: z.enum(['tcp', 'udp']),
          port: z.number().int().min(0).max(65535),
          targets: list(z.strictObject({ instance: id, port: z.number().int().min(0).max(65535) })),
        }),
      ),
    }),
  ),
});

/** A parsed YAML topology file. */
export type TopologyFile = z.output<typeof topologyFile>;
