/**
 * Which stored images a host's containers run, and the reachability an image takes from the
 * hosts running it. Pure: the store (running-images.ts) reads the rows and writes the result.
 *
 * A container runs an image resource when one of the container's digests (image id, manifest
 * digests) is the image's digest; a container no image of the account matches by digest runs
 * the images named by its reference's repository and tag. A reference pinned by digest
 * matches by digest only. Only running containers give reachability.
 */
import { parseImageReference } from '../../inventory/sources/registry.js';
import type { Exposure } from '../analyze.js';
import type { PublishedPort } from '../host/containers.js';
import { formatRange } from '../ports.js';

/** What identifies an image resource. */
export interface ImageIdentity {
  id: string;
  name: string;
  registry?: string;
  repository?: string;
  digest?: string;
  tags: readonly string[];
}

/** A container as stored for its host. */
export interface StoredContainer {
  hostId: string;
  containerId: string;
  name?: string;
  image: string;
  imageDigests: string[];
  running: boolean;
  hostNetwork: boolean;
  ports: PublishedPort[];
}

/** A host's computed reachability (absent when the account's snapshot does not describe it). */
export interface HostReach {
  hostName: string;
  reachable: boolean;
  reason: string;
  exposures: readonly Exposure[];
}

/** A container's reference, normalised like image resources' names (`docker.io/library/nginx`, tag `latest` by default). */
export function containerReference(image: string): { registry: string; repository: string; tag?: string; digest?: string } | undefined {
  try {
    const ref = parseImageReference(image);
    return { registry: ref.registry, repository: ref.repository, ...(ref.digest ? { digest: ref.digest } : { tag: ref.tag ?? 'latest' }) };
  } catch {
    return undefined; // an image id (`sha256:…`) or something unparseable: digests alone decide
  }
}

/** Whether the container names the image by repository and tag. */
function namesByTag(container: Pick<StoredContainer, 'image'>, image: ImageIdentity): boolean {
  const ref = containerReference(container.image);
  if (!ref?.tag) return false;
  if (image.name === `${ref.registry}/${ref.repository}:${ref.tag}`) return true;
  return image.repository === ref.repository && (image.registry ?? 'docker.io') === ref.registry && image.tags.includes(ref.tag);
}

/**
 * The images each container runs. `digestOwned` are the containers some image of the account
 * (not only those given) matches by digest: they never match by tag.
 */
export function linkContainers(containers: readonly StoredContainer[], images: readonly ImageIdentity[], digestOwned: ReadonlySet<StoredContainer>): Map<string, StoredContainer[]> {
  const out = new Map<string, StoredContainer[]>();
  for (const image of images) {
    const runs = containers.filter((c) => (image.digest !== undefined && c.imageDigests.includes(image.digest)) || (!digestOwned.has(c) && namesByTag(c, image)));
    if (runs.length > 0) out.set(image.id, runs);
  }
  return out;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The first exposure of the host that lets the internet reach a port the container publishes. */
function publishedExposure(container: StoredContainer, exposures: readonly Exposure[]): { port: PublishedPort; exposure: Exposure } | undefined {
  for (const port of container.ports) {
    if (port.hostIp && (LOOPBACK.has(port.hostIp) || port.hostIp.startsWith('127.'))) continue;
    const exposure = exposures.find((e) => (e.protocol === port.protocol || e.protocol === 'all') && e.openPortRange.begin <= port.hostPort && port.hostPort <= e.openPortRange.end);
    if (exposure) return { port, exposure };
  }
  return undefined;
}

function path(e: Exposure): string {
  return e.networkPath.steps.map((s) => s.componentId).join(' → ');
}

/**
 * An image's reachability from the containers running it: reachable when a host running it
 * is (the reason names the published port and its path where one is open, else the host's
 * own path); not reachable when every host running it is known and none is (the reason says
 * why, host by host); undefined when it runs nowhere known (no running container, or a host
 * the snapshot does not describe and none reachable), so the score keeps today's input.
 */
export function imageReachability(runs: readonly StoredContainer[], hosts: ReadonlyMap<string, HostReach>): { reachable: boolean; reason: string } | undefined {
  let best: { rank: number; reason: string } | undefined;
  const unreachable: string[] = [];
  let unknown = false;
  const running = runs.filter((c) => c.running).sort((a, b) => (hosts.get(a.hostId)?.hostName ?? '').localeCompare(hosts.get(b.hostId)?.hostName ?? '') || a.containerId.localeCompare(b.containerId));
  for (const c of running) {
    const host = hosts.get(c.hostId);
    if (!host) {
      unknown = true;
      continue;
    }
    if (!host.reachable) {
      const line = `${host.hostName} (${host.reason})`;
      if (!unreachable.includes(line)) unreachable.push(line);
      continue;
    }
    let candidate: { rank: number; reason: string };
    const published = c.hostNetwork ? undefined : publishedExposure(c, host.exposures);
    if (published) {
      const { port, exposure } = published;
      const via = exposure.publicPortRange.begin !== exposure.openPortRange.begin ? ` (public port ${formatRange(exposure.publicPortRange)})` : '';
      candidate = { rank: 3, reason: `reachable from the internet: the image runs on ${host.hostName}, published ${port.hostPort}→${port.containerPort}/${port.protocol}${via}, through ${path(exposure)}` };
    } else if (c.hostNetwork) {
      candidate = { rank: 2, reason: `reachable from the internet: the image runs on ${host.hostName} in the host's network, and ${host.hostName} is ${host.reason}` };
    } else {
      // Nothing it publishes is open, but a proxy on the host may forward to it: over-report rather than miss.
      candidate = { rank: 1, reason: `reachable from the internet: the image runs on ${host.hostName}, which is ${host.reason} (no port the container publishes is open from the internet; something on the host may forward to it)` };
    }
    if (!best || candidate.rank > best.rank) best = candidate;
  }
  if (best) return { reachable: true, reason: best.reason };
  if (unknown || unreachable.length === 0) return undefined;
  return { reachable: false, reason: `the image runs only on ${unreachable.join(' and ')}` };
}
