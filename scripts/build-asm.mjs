// Builds the hot path twice (DESIGN.md §3, STYLE.md 11): dist/asm/wasagi.wasm
// without SIMD and dist/asm/wasagi.simd.wasm with it (build/ belongs to node-gyp), then generates the TypeScript
// mirror of the memory map. Memory is imported with a fixed size and never grows.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin/asc.js');

const gen = spawnSync(process.execPath, [join(root, 'scripts/gen-layout.mjs')], { stdio: 'inherit' });
if (gen.status !== 0) process.exit(1);
const generated = readFileSync(join(root, 'src/wasm/layout.generated.ts'), 'utf8');
const MEMORY_PAGES = Number(/export const MEMORY_PAGES = (\d+);/.exec(generated)[1]);
const MAX_MEMORY_PAGES = Number(/export const MAX_MEMORY_PAGES = (\d+);/.exec(generated)[1]);
mkdirSync(join(root, 'dist/asm'), { recursive: true });

for (const [out, extra] of [
  ['wasagi.wasm', ['--disable', 'simd']],
  ['wasagi.simd.wasm', ['--enable', 'simd']],
]) {
  const args = [
    asc, 'asm/index.ts', '--config', 'asm/asconfig.json', '-o', `dist/asm/${out}`,
    '--initialMemory', String(MEMORY_PAGES), '--maximumMemory', String(MAX_MEMORY_PAGES), ...extra,
  ];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
