/**
 * The containers a host runs, read read-only from Docker's state on disk under the scanned
 * root (`/var/lib/docker`): each container's `config.v2.json` (image, state, the ports the
 * daemon bound) and `hostconfig.json` (requested port bindings, network mode), and the
 * image store's `repositories.json` (which manifest digests the image was pulled by). No
 * daemon is asked: a stopped daemon or a root mounted from a snapshot reads alike.
 * containerd's and Podman's state (a bbolt or SQLite database) are not read.
 */
import { posix } from 'node:path';
import { localHost, type HostReader } from './reader.js';

const { join } = posix;

/** One published port: the host port the internet would send to, and the container's. */
export interface PublishedPort {
  protocol: 'tcp' | 'udp';
  hostPort: number;
  containerPort: number;
  /** The host address it is bound to (`0.0.0.0`, `::`, `127.0.0.1`…); absent for all addresses. */
  hostIp?: string;
}

/** One container as the runtime records it. */
export interface HostContainer {
  /** The runtime's container id. */
  id: string;
  name?: string;
  /** The image reference the container was created from (`nginx:1.25`, `registry.example.com/app@sha256:…`). */
  image: string;
  /** Digests that identify the image: its id (config digest) and the manifest digests it was pulled by. */
  imageDigests: string[];
  running: boolean;
  /** The container shares the host's network (`--network host`): its listeners are the host's. */
  hostNetwork?: boolean;
  ports: PublishedPort[];
  runtime: 'docker' | 'declared';
}

/** At most this many containers are read; a config file larger than this is skipped. */
export const CONTAINER_LIMITS = { containers: 5000, fileBytes: 4 * 1024 * 1024 } as const;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const DIGEST = /^sha256:[0-9a-f]{64}$/;

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text.length > CONTAINER_LIMITS.fileBytes) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}` (NetworkSettings.Ports or HostConfig.PortBindings) as published ports. */
export function publishedPorts(map: unknown): PublishedPort[] {
  const out: PublishedPort[] = [];
  if (!isObj(map)) return out;
  for (const [key, bindings] of Object.entries(map)) {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key);
    if (!m || m[2] === 'sctp' || !Array.isArray(bindings)) continue;
    for (const b of bindings) {
      if (!isObj(b)) continue;
      const hostPort = Number(b.HostPort);
      // An empty HostPort asks the daemon for a free one: only the running container's own record knows it.
      if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535 || b.HostPort === '') continue;
      const hostIp = typeof b.HostIp === 'string' && b.HostIp !== '' ? b.HostIp : undefined;
      out.push({ protocol: (m[2] ?? 'tcp') as 'tcp' | 'udp', hostPort, containerPort: Number(m[1]), ...(hostIp ? { hostIp } : {}) });
    }
  }
  return out.sort((a, b) => a.hostPort - b.hostPort || a.protocol.localeCompare(b.protocol) || (a.hostIp ?? '').localeCompare(b.hostIp ?? ''));
}

/** Image id → the `name@sha256:…` manifest digests it was pulled by, from every `image/<driver>/repositories.json`. */
async function repoDigests(host: HostReader, dockerRoot: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const driver of (await host.readdir(join(dockerRoot, 'image'))) ?? []) {
    const doc = parseJson(await host.readFile(join(dockerRoot, 'image', driver, 'repositories.json')));
    if (!isObj(doc) || !isObj(doc.Repositories)) continue;
    for (const refs of Object.values(doc.Repositories)) {
      if (!isObj(refs)) continue;
      for (const [ref, id] of Object.entries(refs)) {
        const at = ref.lastIndexOf('@');
        if (at < 0 || typeof id !== 'string') continue;
        const digest = ref.slice(at + 1);
        if (!DIGEST.test(digest)) continue;
        const list = out.get(id) ?? [];
        if (!list.includes(digest)) list.push(digest);
        out.set(id, list);
      }
    }
  }
  return out;
}

/** One container from its `config.v2.json` and `hostconfig.json` documents; undefined when it is not one. */
export function dockerContainer(config: unknown, hostConfig: unknown, pulledBy: ReadonlyMap<string, string[]>): HostContainer | undefined {
  if (!isObj(config) || typeof config.ID !== 'string' || typeof config.Image !== 'string') return undefined;
  const state = isObj(config.State) ? config.State : {};
  const running = state.Running === true && state.Paused !== true && state.Dead !== true;
  const cfg = isObj(config.Config) ? config.Config : {};
  const id = config.Image;
  const digests = new Set<string>();
  if (DIGEST.test(id)) digests.add(id);
  // Docker 25+ records the platform manifest it ran (containerd image store).
  if (isObj(config.ImageManifest) && typeof config.ImageManifest.digest === 'string' && DIGEST.test(config.ImageManifest.digest)) digests.add(config.ImageManifest.digest);
  for (const d of pulledBy.get(id) ?? []) digests.add(d);
  const hc = isObj(hostConfig) ? hostConfig : {};
  const hostNetwork = hc.NetworkMode === 'host';
  const settings = isObj(config.NetworkSettings) ? config.NetworkSettings : {};
  // A running container's NetworkSettings.Ports holds the ports the daemon bound (free ports chosen); stopped, the request is all there is.
  const ports = hostNetwork ? [] : running && isObj(settings.Ports) ? publishedPorts(settings.Ports) : publishedPorts(hc.PortBindings);
  const name = typeof config.Name === 'string' ? config.Name.replace(/^\//, '') : undefined;
  return {
    id: config.ID,
    ...(name ? { name } : {}),
    image: typeof cfg.Image === 'string' && cfg.Image !== '' ? cfg.Image : id,
    imageDigests: [...digests],
    running,
    ...(hostNetwork ? { hostNetwork } : {}),
    ports,
    runtime: 'docker',
  };
}

/**
 * The Docker containers recorded under `root` (`ROOT/var/lib/docker/containers/<id>/`),
 * running or not, sorted by name. A container whose files cannot be read or parsed is left
 * out; no Docker state means none.
 */
export async function collectDockerContainers(root = '/', host: HostReader = localHost): Promise<HostContainer[]> {
  const dockerRoot = join(root, 'var/lib/docker');
  const ids = (await host.readdir(join(dockerRoot, 'containers'))) ?? [];
  if (ids.length === 0) return [];
  const pulledBy = await repoDigests(host, dockerRoot);
  const out: HostContainer[] = [];
  for (const id of ids.sort().slice(0, CONTAINER_LIMITS.containers)) {
    if (!/^[0-9a-f]{12,64}$/.test(id)) continue;
    const dir = join(dockerRoot, 'containers', id);
    const container = dockerContainer(parseJson(await host.readFile(join(dir, 'config.v2.json'))), parseJson(await host.readFile(join(dir, 'hostconfig.json'))), pulledBy);
    if (container) out.push(container);
  }
  return out.sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id));
}
