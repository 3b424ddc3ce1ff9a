// ICMPv6 echo client (RFC 4443 §4.1) with iputils ping's behaviour: an
// identifier per pinger, sequence numbers from 1, an 8-byte timestamp then a
// byte pattern as data, `-f` flood mode (next request on each reply, or every
// 10 ms), and a summary with min/avg/max/mdev. Sans-IO: the stack calls
// onDeadline/onReply with `now` and sends what it asks for.

import { EventEmitter } from 'node:events';
import { NEVER, type Instant } from '../time/instant.js';
import type { Ip6 } from '../wire/address.js';

export interface PingOptions {
  /** Requests to send (default: 4 for the API, like a bounded `ping -c 4`). */
  count?: number;
  /** Seconds between requests (default 1; ignored with flood). */
  interval?: number;
  /** Data bytes after the ICMPv6 header (default 56). */
  size?: number;
  /** Seconds to wait for replies after the last request (default 1; flood: 0.2). */
  timeout?: number;
  /** As fast as replies come back, at least every 10 ms (`ping -f`). */
  flood?: boolean;
}

export interface PingReply {
  seq: number;
  bytes: number;
  from: string;
  hopLimit: number;
  /** Round-trip time in milliseconds. */
  rtt: number;
  duplicate: boolean;
}

/** An ICMPv6 error for one of our requests (iputils: "From … icmp_seq=N Destination unreachable: …"). */
export interface PingError {
  seq: number;
  from: string;
  /** ICMPv6 Destination Unreachable code (RFC 4443 §3.1): 0 no route, 3 address unreachable. */
  code: number;
  message: string;
}

export interface PingSummary {
  destination: string;
  transmitted: number;
  received: number;
  duplicates: number;
  /** Requests answered by an ICMPv6 error. */
  errors: number;
  /** Percent. */
  loss: number;
  min: number;
  avg: number;
  max: number;
  mdev: number;
  /** Milliseconds from the first request to the end. */
  time: number;
  /** Every round-trip time in order of arrival (for drawing). */
  rtts: number[];
}

export const FLOOD_INTERVAL = 10; // ms, iputils ping -f

export class Pinger extends EventEmitter {
  readonly count: number;
  readonly interval: number;
  readonly size: number;
  readonly timeout: number;
  readonly flood: boolean;
  private sent = 0;
  private received = 0;
  private dups = 0;
  private errors = 0;
  private nextSend: Instant;
  private finishAt: Instant = NEVER;
  private startedAt: Instant;
  /** Send time and answer state of each sequence number in flight or answered (≤ 65536: they wrap). */
  private readonly bySeq = new Map<number, { t: Instant; got: 0 | 1 | 2 }>();
  private rtts: number[] = [];
  private finished = false;
  /** Resolves with the summary when the pinger is done. */
  readonly done: Promise<PingSummary>;
  private resolveDone!: (s: PingSummary) => void;

  constructor(
    readonly id: number,
    readonly ifindex: number,
    readonly src: Ip6,
    readonly dst: Ip6,
    readonly destination: string,
    opts: Required<PingOptions>,
    now: Instant,
    private readonly send: (p: Pinger, seq: number, payload: Uint8Array) => void,
  ) {
    super();
    this.count = opts.count;
    this.interval = opts.interval * 1000;
    this.size = opts.size;
    this.timeout = opts.timeout * 1000;
    this.flood = opts.flood;
    this.nextSend = now;
    this.startedAt = now;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get isDone(): boolean {
    return this.finished;
  }

  nextDeadline(): Instant {
    if (this.finished) return NEVER;
    return Math.min(this.sent < this.count ? this.nextSend : NEVER, this.finishAt);
  }

  onDeadline(now: Instant): void {
    if (this.finished) return;
    if (this.sent < this.count && now >= this.nextSend) this.sendOne(now);
    if (now >= this.finishAt) this.finish(now);
  }

  /** An echo reply with our identifier arrived. */
  onReply(seq: number, bytes: number, from: string, hopLimit: number, now: Instant): void {
    if (this.finished) return;
    const s = seq & 0xffff;
    const rec = this.bySeq.get(s);
    if (!rec) return; // never sent
    const duplicate = rec.got === 1;
    const rtt = now - rec.t;
    if (duplicate) this.dups++;
    else {
      rec.got = 1;
      this.received++;
      this.rtts.push(rtt);
    }
    this.emit('reply', { seq: s, bytes, from, hopLimit, rtt, duplicate } satisfies PingReply);
    if (this.received === this.count) {
      this.finish(now);
      return;
    }
    if (this.flood && !duplicate && this.sent < this.count) {
      this.sendOne(now);
    }
  }

  /** Our request `seq` could not be delivered (an ICMPv6 Destination Unreachable, RFC 4443 §3.1). */
  onUnreachable(seq: number, code: number, why: string, from: string): void {
    if (this.finished) return;
    const s = seq & 0xffff;
    const rec = this.bySeq.get(s);
    if (!rec || rec.got) return;
    rec.got = 2;
    this.errors++;
    const message =
      code === 3 ? 'Destination unreachable: Address unreachable'
      : code === 0 ? 'Destination unreachable: No route'
      : code === 4 ? 'Destination unreachable: Port unreachable'
      : code === 1 ? 'Destination unreachable: Administratively prohibited'
      : code === 103 ? 'Time exceeded'
      : code === 104 ? 'Parameter problem'
      : `Destination unreachable: code ${code} (${why})`;
    // Deferred: the error can arise inside the call that sent the request,
    // before the caller had a chance to listen (STYLE.md 7).
    const err: PingError = { seq: s, from, code, message };
    queueMicrotask(() => this.emit('unreachable', err));
    if (this.received + this.errors >= this.count && this.sent >= this.count) this.finishAt = Math.min(this.finishAt, rec.t);
  }

  /** Stops early (Ctrl-C) and reports. */
  stop(now: Instant): void {
    this.finish(now);
  }

  private sendOne(now: Instant): void {
    const seq = (this.sent + 1) & 0xffff;
    const payload = new Uint8Array(this.size);
    // iputils: a timestamp first (when it fits), then bytes counting up.
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    if (payload.length >= 8) new DataView(payload.buffer).setFloat64(0, now, true);
    this.bySeq.set(seq, { t: now, got: 0 });
    this.sent++;
    this.nextSend = now + (this.flood ? FLOOD_INTERVAL : this.interval);
    if (this.sent >= this.count) this.finishAt = now + this.timeout;
    this.send(this, seq, payload);
  }

  private finish(now: Instant): void {
    if (this.finished) return;
    this.finished = true;
    const n = this.rtts.length;
    let min = n ? Infinity : 0;
    let max = 0;
    let sum = 0;
    let sum2 = 0;
    for (const r of this.rtts) {
      min = Math.min(min, r);
      max = Math.max(max, r);
      sum += r;
      sum2 += r * r;
    }
    const avg = n ? sum / n : 0;
    const mdev = n ? Math.sqrt(Math.max(0, sum2 / n - avg * avg)) : 0; // iputils' mdev
    const summary: PingSummary = {
      destination: this.destination,
      transmitted: this.sent,
      received: this.received,
      duplicates: this.dups,
      errors: this.errors,
      loss: this.sent ? ((this.sent - this.received) / this.sent) * 100 : 0,
      min,
      avg,
      max,
      mdev,
      time: now - this.startedAt,
      rtts: this.rtts,
    };
    this.emit('done', summary);
    this.resolveDone(summary);
  }
}
