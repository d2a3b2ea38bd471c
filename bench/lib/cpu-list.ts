// taskset-style CPU lists ("1", "0,1", "2-15,17") for the benches' pinning settings.

/** The CPUs a list names, ascending; throws on anything else. */
export function parseCpuList(list: string): number[] {
  const cpus = new Set<number>();
  for (const part of list.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`"${list}" is not a CPU list (e.g. 1 or 0,1 or 2-15)`);
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    for (let c = from; c <= to; c += 1) cpus.add(c);
  }
  if (cpus.size === 0) throw new Error(`"${list}" names no CPU`);
  return [...cpus].sort((a, b) => a - b);
}
