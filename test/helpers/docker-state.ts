/**
 * A Docker daemon's state directory (`/var/lib/docker`) under a temporary root, written as
 * the daemon writes it: `containers/<id>/config.v2.json` and `hostconfig.json` with the
 * fields dockerd 24–26 records (trimmed of the ones that say nothing about images and ports),
 * and `image/overlay2/repositories.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A container to write. */
export interface DockerFixture {
  id: string;
  name: string;
  /** `Config.Image`: what `docker run` was given. */
  image: string;
  /** The image id (`sha256:` config digest). */
  imageId: string;
  running: boolean;
  /** `-p` bindings: container port/proto → [host ip, host port]. */
  bindings?: Record<string, [string, string][]>;
  networkMode?: string;
  /** Docker 25+ with the containerd image store: the manifest run. */
  imageManifest?: string;
}

/** Writes the containers and the repositories they were pulled from under `root`. */
export function writeDockerState(root: string, containers: readonly DockerFixture[], repositories: Record<string, Record<string, string>>): void {
  const docker = join(root, 'var/lib/docker');
  mkdirSync(join(docker, 'image/overlay2'), { recursive: true });
  writeFileSync(join(docker, 'image/overlay2/repositories.json'), JSON.stringify({ Repositories: repositories }));
  for (const c of containers) {
    const dir = join(docker, 'containers', c.id);
    mkdirSync(dir, { recursive: true });
    const portMap = Object.fromEntries(Object.entries(c.bindings ?? {}).map(([port, list]) => [port, list.map(([HostIp, HostPort]) => ({ HostIp, HostPort }))]));
    const exposed = Object.fromEntries(Object.keys(c.bindings ?? {}).map((p) => [p, {}]));
    const networkMode = c.networkMode ?? 'bridge';
    const config = {
      StreamConfig: {},
      State: {
        Running: c.running,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        RemovalInProgress: false,
        Dead: false,
        Pid: c.running ? 4242 : 0,
        ExitCode: c.running ? 0 : 137,
        Error: '',
        StartedAt: '2026-11-30T09:12:44.512873207Z',
        FinishedAt: c.running ? '0001-01-01T00:00:00Z' : '2026-12-01T10:00:01.000000000Z',
        Health: null,
      },
      ID: c.id,
      Created: '2026-11-30T09:12:43.987654321Z',
      Managed: false,
      Path: '/docker-entrypoint.sh',
      Args: [],
      Config: {
        Hostname: c.id.slice(0, 12),
        Domainname: '',
        User: '',
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        ExposedPorts: exposed,
        Tty: false,
        OpenStdin: false,
        StdinOnce: false,
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: null,
        Image: c.image,
        Volumes: null,
        WorkingDir: '',
        Entrypoint: ['/docker-entrypoint.sh'],
        OnBuild: null,
        Labels: {},
      },
      Image: c.imageId,
      ...(c.imageManifest ? { ImageManifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: c.imageManifest, size: 1024, platform: { architecture: 'amd64', os: 'linux' } } } : {}),
      NetworkSettings: {
        Bridge: '',
        SandboxID: c.running ? 'a3f1c0d2e4b5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff' : '',
        SandboxKey: c.running ? '/var/run/docker/netns/a3f1c0d2e4b5' : '',
        HairpinMode: false,
        LinkLocalIPv6Address: '',
        LinkLocalIPv6PrefixLen: 0,
        Networks: { [networkMode]: { IPAMConfig: null, Links: null, Aliases: null, NetworkID: '5b1f0c3d2e1a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', EndpointID: '', Gateway: '172.17.0.1', IPAddress: c.running ? '172.17.0.2' : '', IPPrefixLen: 16 } },
        Service: null,
        // The daemon fills Ports while the container runs, and empties it when it stops.
        Ports: c.running && networkMode !== 'host' ? portMap : null,
        SecondaryIPAddresses: null,
        SecondaryIPv6Addresses: null,
        IsAnonymousEndpoint: false,
        HasSwarmEndpoint: false,
      },
      LogPath: join('/var/lib/docker/containers', c.id, `${c.id}-json.log`),
      Name: `/${c.name}`,
      Driver: 'overlay2',
      OS: 'linux',
      RestartCount: 0,
      HasBeenStartedBefore: true,
      HasBeenManuallyStopped: !c.running,
      MountPoints: {},
      AppArmorProfile: 'docker-default',
      HostnamePath: join('/var/lib/docker/containers', c.id, 'hostname'),
      HostsPath: join('/var/lib/docker/containers', c.id, 'hosts'),
      ShmPath: '',
      ResolvConfPath: join('/var/lib/docker/containers', c.id, 'resolv.conf'),
      SeccompProfile: '',
      NoNewPrivileges: false,
      LocalLogCacheMeta: { HaveNotifyEnabled: false },
    };
    const hostConfig = {
      Binds: null,
      ContainerIDFile: '',
      LogConfig: { Type: 'json-file', Config: {} },
      NetworkMode: networkMode,
      PortBindings: portMap,
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      AutoRemove: false,
      VolumeDriver: '',
      VolumesFrom: null,
      CapAdd: null,
      CapDrop: null,
      Dns: [],
      Privileged: false,
      PublishAllPorts: false,
      ReadonlyRootfs: false,
    };
    writeFileSync(join(dir, 'config.v2.json'), JSON.stringify(config));
    writeFileSync(join(dir, 'hostconfig.json'), JSON.stringify(hostConfig));
  }
}
