// `npm run bench`: every benchmark in one run. Speeds are reported as ratios
// against a baseline measured in the same run (DESIGN.md §4): the checksum
// kernels against plain TypeScript, the flood ping against the kernel over veth.
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
    [
      'flood-ping',
      async () => {
        code = Math.max(code, await (await import('./flood-ping.js')).main(quick ? ['--count', '20000'] : []));
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
