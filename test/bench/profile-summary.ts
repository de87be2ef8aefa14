/** Self time of a V8 .cpuprofile grouped by package (node_modules), our module (dist/…) or node internals. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, index) => {
  const node = byId.get(id)!;
  const url = node.callFrame.url;
  const group =
    /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
    /\/dist\/(.*)$/.exec(url)?.[1] ??
    (url.startsWith('node:') ? `${url} ${node.callFrame.functionName}` : `(${node.callFrame.functionName || 'native'})`);
  const delta = profile.timeDeltas[index] ?? 0;
  total += delta;
  selfUs.set(group, (selfUs.get(group) ?? 0) + delta);
});
const rows = [...selfUs]
  .sort((a, b) => b[1] - a[1])
  .slice(0, 30)
  .map(([group, us]) => ({ group, 'self %': Number(((us / total) * 100).toFixed(1)), 'self ms': Math.round(us / 1000) }));
console.table(rows);
