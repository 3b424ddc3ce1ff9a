// The local control socket of a running `wasagi up`: newline-delimited JSON
// over a Unix socket. Requests: {cmd:'show', what:'addr'|'neigh'|'stats'} →
// {ok:true, data}; {cmd:'ping', dest, count, interval, size, flood, timeout} →
// a stream of {type:'reply', ...} lines and one {type:'done', summary}. Errors:
// {ok:false, error:{code, message}}.

import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WasagiError } from '../errors.js';
import type { Stack } from '../stack/stack.js';
import { showAddr, showNeigh, showRoute } from '../stack/show.js';
import type { PingError, PingReply, PingSummary } from '../stack/ping.js';

/** Default control socket: $WASAGI_CTL, else <tmpdir>/wasagi.sock. */
export function defaultCtlPath(): string {
  return process.env.WASAGI_CTL ?? join(tmpdir(), 'wasagi.sock');
}

export type CtlRequest =
  | { cmd: 'show'; what: 'addr' | 'neigh' | 'route' | 'stats' | 'dns' }
  | { cmd: 'ping'; dest: string; count?: number; interval?: number; size?: number; flood?: boolean; timeout?: number };

function send(sock: Socket, msg: unknown): void {
  if (!sock.destroyed) sock.write(JSON.stringify(msg) + '\n');
}

function errorOf(e: unknown): { code: string; message: string } {
  const err = e as { code?: string; message?: string };
  return { code: err.code ?? 'ERR_CTL', message: err.message ?? String(e) };
}

/** Serves the control protocol for `stack` at `path` (a stale socket file is replaced). */
export function serveCtl(stack: Stack, path: string): Promise<Server> {
  if (existsSync(path)) {
    try {
      unlinkSync(path);
    } catch {
      /* the listen below reports the problem */
    }
  }
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 65536) {
        send(sock, { ok: false, error: { code: 'ERR_CTL', message: 'request too long' } });
        sock.destroy();
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        handle(stack, sock, line);
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function handle(stack: Stack, sock: Socket, line: string): void {
  let req: CtlRequest;
  try {
    req = JSON.parse(line) as CtlRequest;
  } catch {
    send(sock, { ok: false, error: { code: 'ERR_CTL', message: 'malformed request' } });
    return;
  }
  try {
    if (req.cmd === 'show') {
      const data =
        req.what === 'addr' ? showAddr(stack)
        : req.what === 'neigh' ? showNeigh(stack)
        : req.what === 'route' ? showRoute(stack)
        : req.what === 'stats' ? stack.counters()
        : req.what === 'dns' ? stack.dns()
        : undefined;
      if (data === undefined) throw new WasagiError('ERR_INVALID_ARG', `cannot show ${JSON.stringify(req.what)}`);
      send(sock, { ok: true, data });
    } else if (req.cmd === 'ping') {
      const p = stack.ping(req.dest, { count: req.count, interval: req.interval, size: req.size, flood: req.flood, timeout: req.timeout });
      send(sock, { type: 'start', destination: p.destination, size: p.size });
      p.on('reply', (r: PingReply) => {
        if (!req.flood || (req as { verbose?: boolean }).verbose) send(sock, { type: 'reply', ...r });
      });
      p.on('unreachable', (e: PingError) => send(sock, { type: 'unreachable', ...e }));
      p.on('done', (s: PingSummary) => {
        send(sock, { type: 'done', summary: { ...s, rtts: undefined } });
        sock.end();
      });
      sock.on('close', () => p.stop(stack.clock.now()));
    } else {
      throw new WasagiError('ERR_INVALID_ARG', `unknown command ${JSON.stringify((req as { cmd: unknown }).cmd)}`);
    }
  } catch (e) {
    send(sock, { ok: false, error: errorOf(e) });
  }
}

/** Sends one request; calls onMessage for every line until the server closes. */
export function ctlRequest(path: string, req: CtlRequest, onMessage: (m: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        onMessage(m);
        if (m.ok !== undefined) sock.end();
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
        reject(new WasagiError('ERR_CTL', `no wasagi instance at ${path} (start one with "wasagi up --tap NAME", or pass --ctl PATH)`));
      } else reject(e);
    });
    sock.on('close', () => resolve());
  });
}
