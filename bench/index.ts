// `npm run bench`: every benchmark in one run. Speeds are reported as ratios
// against a baseline measured in the same run (DESIGN.md §4): the checksum
// kernels against plain TypeScript, the flood ping and the UDP echo against the
// kernel over veth.
// Memory per neighbor entry is exact with `node --expose-gc dist/bench/index.js`;
// without the flag bench/neigh.ts reaches the collector another way or says
// the figure is approximate.
// `npm run bench -- --quick` for a short run; `npm run bench -- csum` for one.
import { pathToFileURL } from 'node:url';
import { printTable } from './csum.js';

export async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const only = argv.find((a) => !a.startsWith('-'));
  let code = 0;
  const suites: Array<[string, () => Promise<void>]> = [
    ['csum', async () => printTable(`Internet checksum, RFC 1071 (node ${process.version})`, await (await import('./csum.js')).run({ quick }))],
    ['rx', async () => printTable('rxBurst: classification and in-place echo', await (await import('./rx.js')).run({ quick }))],
    ['neigh', async () => printTable('Neighbor table lookups, memory per entry, per-entry deadlines', await (await import('./neigh.js')).run({ quick }))],
    ['timers', async () => printTable('ND timer lateness on the real driver (one timer per stack)', await (await import('./timers.js')).run({ quick }))],
    ['lifetimes', async () => printTable('Address lifetime lateness on the real driver (one coalesced deadline)', await (await import('./lifetimes.js')).run({ quick }))],
    [
      'flood-ping',
      async () => {
        code = Math.max(code, await (await import('./flood-ping.js')).main(quick ? ['--count', '20000'] : []));
      },
    ],
    [
      'udp-echo',
      async () => {
        code = Math.max(code, await (await import('./udp-echo.js')).main(quick ? ['--quick'] : []));
      },
    ],
  ];
  for (const [name, run] of suites) {
    if (only && only !== name) continue;
    console.log(`\n== ${name} ==`);
    await run();
  }
  return code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((c) => (process.exitCode = c));
}
