/**
 * CPU time of whole process trees, from /proc (Linux): the HTTP figures split the machine's CPU per
 * decrypt between the service's processes (host and cluster workers), Azurite and the load generator.
 * Elsewhere `treeCpuMs` answers undefined and the bench leaves those columns empty.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

interface ProcStat {
  ppid: number;
  cpuTicks: number;
}

/** `/proc/<pid>/stat`: fields after the command name (which may hold spaces and parentheses). */
function statOf(pid: string): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the name: state, ppid, …; utime and stime are the 12th and 13th.
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function procStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(entry);
    if (stat) stats.set(Number(entry), stat);
  }
  return stats;
}

/** `rootPid` and every live descendant; empty where there is no /proc or no such process. */
function treeOf(rootPid: number, stats: Map<number, ProcStat>): number[] {
  if (!stats.has(rootPid)) return [];
  const tree: number[] = [];
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    tree.push(pid);
    for (const [child, stat] of stats) if (stat.ppid === pid) pending.push(child);
  }
  return tree;
}

/** The pids of `rootPid`'s process tree (Linux; elsewhere just `rootPid`). */
export function treePids(rootPid: number): number[] {
  return process.platform === 'linux' ? treeOf(rootPid, procStats()) : [rootPid];
}

/** User + system CPU (ms) of `rootPid` and every live descendant; undefined where there is no /proc. */
export function treeCpuMs(rootPid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const stats = procStats();
  const tree = treeOf(rootPid, stats);
  if (tree.length === 0) return undefined;
  const ticks = tree.reduce((sum, pid) => sum + (stats.get(pid)?.cpuTicks ?? 0), 0);
  return (ticks / clockTicks()) * 1000;
}

/** Starts metering the process trees of `pids` (an undefined pid is left out) and this process; `stop` answers each one's CPU ms since. */
export function meterCpu<Name extends string>(pids: Record<Name, number | undefined>): { stop(): Record<Name | 'self', number | undefined> } {
  const names = Object.keys(pids) as Name[];
  const cpuOf = (name: Name) => {
    const pid = pids[name];
    return pid === undefined ? undefined : treeCpuMs(pid);
  };
  const before = new Map(names.map((name) => [name, cpuOf(name)]));
  const self = process.cpuUsage();
  return {
    stop() {
      const used = process.cpuUsage(self);
      const result = { self: (used.user + used.system) / 1000 } as Record<Name | 'self', number | undefined>;
      for (const name of names) {
        const start = before.get(name);
        const end = cpuOf(name);
        result[name] = start === undefined || end === undefined ? undefined : end - start;
      }
      return result;
    },
  };
}
