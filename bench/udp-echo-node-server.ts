/**
 * node:dgram UDP echo server on the kernel's stack: the second baseline of
 * bench/udp-echo.ts, i.e. what a Node user would run without wasagi. The
 * same code as `wasagi up --udp-echo PORT` runs on wasagi's sockets: one
 * dual-stack udp6 socket (IPv4 arrives as ::ffff:a.b.c.d), every datagram
 * sent back to its sender. Prints "ready" once bound; runs until killed.
 *
 * Usage: node dist/bench/udp-echo-node-server.js PORT
 */
import dgram from 'node:dgram';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: node dist/bench/udp-echo-node-server.js PORT\n');
  process.exit(2);
}
const s = dgram.createSocket({ type: 'udp6' });
let bound = false;
let failures = 0;
s.on('error', (e) => {
  if (!bound) throw e; // bind failed: exit with the error
  if (failures++ === 0) process.stderr.write(`udp-echo-node-server: ${e.message} (further errors not shown)\n`);
});
s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
s.bind(port, () => {
  bound = true;
  process.stdout.write('ready\n');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => s.close(() => process.exit(0)));
