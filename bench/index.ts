// `npm run bench`: every benchmark in one run. Speeds are reported as ratios
// against a baseline measured in the same run (DESIGN.md §4).
import { pathToFileURL } from 'node:url';

export async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const only = argv.find((a) => !a.startsWith('-'));
  const suites: Array<[string, () => Promise<unknown>]> = [
    ['csum', async () => (await import('./csum.js')).run({ quick })],
    ['rx', async () => (await import('./rx.js')).run({ quick })],
    ['flood-ping', async () => (await import('./flood-ping.js')).main(quick ? ['--count', '20000'] : [])],
  ];
  for (const [name, run] of suites) {
    if (only && only !== name) continue;
    console.log(`\n== ${name} ==`);
    await run();
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((c) => (process.exitCode = c));
}
