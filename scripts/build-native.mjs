// Builds the TUN/TAP addon with node-gyp. Run by `npm install`.
// Without --strict a failed build is reported and tolerated: the simulated
// (memory-link) mode works without the addon, and TAP mode then says why it
// is unavailable (see src/device/tap.ts).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  gyp = null;
}
// Build against the headers installed with Node when they are there: node-gyp
// would otherwise try to download them, and this machine reaches no such host.
const args = [gyp, 'rebuild'];
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/common.gypi')) args.push('--nodedir=/usr');
const r = gyp
  ? spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
  : { status: 1, error: new Error('node-gyp is not installed') };
if (r.status !== 0) {
  const why = r.error ? r.error.message : `node-gyp exited with ${r.status}`;
  console.warn(`wasagi: the TUN/TAP addon was not built (${why}); simulated mode still works, TAP mode will be unavailable.`);
  process.exit(strict ? 1 : 0);
}
