#!/usr/bin/env node
// The `wasagi` command; the implementation is compiled to dist/ by `npm run build`.
import('../dist/src/cli/main.js')
  .then((m) => m.main(process.argv.slice(2)))
  .then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  })
  .catch((e) => {
    if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/src/cli')) {
      console.error('wasagi: not built yet; run "npm install" (or "npm run build")');
    } else {
      console.error(`wasagi: ${e && e.message ? e.message : e}`);
    }
    process.exitCode = 2;
  });
