/**
 * Which images run on which host, on the resource page: a host's containers (each linked to
 * the image resources it runs), or the hosts an image runs on and the reachability it takes
 * from them. Nothing is drawn for resources without such links.
 */
import type { ReactNode } from 'react';
import type { PublishedPort, ResourceInfo } from '../api.js';
import { Card, Link } from '../components/ui.js';

function ports(list: readonly PublishedPort[], hostNetwork = false): string {
  if (hostNetwork) return "host's network";
  if (list.length === 0) return '—';
  return [...new Set(list.map((p) => `${p.hostIp && p.hostIp !== '0.0.0.0' && p.hostIp !== '::' ? `${p.hostIp}:` : ''}${p.hostPort}→${p.containerPort}/${p.protocol}`))].join(', ');
}

const state = (running: boolean) => <span className={running ? '' : 'muted'}>{running ? 'running' : 'stopped'}</span>;

/** The links of a HOST or CONTAINER_IMAGE resource. */
export function RunningImagesCard(props: { resource: ResourceInfo }): ReactNode {
  const r = props.resource;
  if (r.runningImages?.length) {
    return (
      <Card title={`Containers (${r.runningImages.length})`} id="resource-containers">
        <div className="table-wrap">
          <table className="data" aria-label="Containers on this host">
            <thead>
              <tr>
                <th>Container</th>
                <th>Image</th>
                <th>State</th>
                <th>Published</th>
                <th>Image resource</th>
              </tr>
            </thead>
            <tbody>
              {r.runningImages.map((c) => (
                <tr key={c.containerId}>
                  <td className="mono clip" title={c.containerId}>{c.name ?? c.containerId.slice(0, 12)}</td>
                  <td className="mono small clip" title={c.image}>{c.image}</td>
                  <td>{state(c.running)}</td>
                  <td className="mono small">{ports(c.ports, c.hostNetwork)}</td>
                  <td className="small">{c.resources.length ? c.resources.map((i) => <div key={i.id}><Link href={`/resources/${encodeURIComponent(i.id)}`}>{i.name}</Link></div>) : <span className="muted">not scanned</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    );
  }
  if (r.type !== 'CONTAINER_IMAGE' || (!r.runsOn?.length && !r.reachability)) return null;
  return (
    <Card title="Runs on" id="resource-runs-on">
      {r.reachability ? (
        <p data-testid="image-reachability">
          <strong>{r.reachability.internetReachable ? 'Reachable from the internet' : 'Not reachable from the internet'}</strong>
          <span className="muted small"> — {r.reachability.reason}</span>
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="data" aria-label="Hosts running this image">
          <thead>
            <tr>
              <th>Host</th>
              <th>Container</th>
              <th>State</th>
              <th>Published</th>
            </tr>
          </thead>
          <tbody>
            {(r.runsOn ?? []).map((h) => (
              <tr key={`${h.hostId}|${h.containerId}`}>
                <td><Link href={`/resources/${encodeURIComponent(h.hostId)}`}>{h.hostName}</Link></td>
                <td className="mono clip" title={h.containerId}>{h.containerName ?? h.containerId.slice(0, 12)}</td>
                <td>{state(h.running)}</td>
                <td className="mono small">{ports(h.ports)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
