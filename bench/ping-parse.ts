/**
 * Parser for the summary that iputils `ping` prints when it finishes
 * (or is interrupted with SIGINT):
 *
 *   --- 2001:db8:c::2 ping statistics ---
 *   300 packets transmitted, 241 received, 19.6667% packet loss, time 937ms
 *   rtt min/avg/max/mdev = 0.005/0.016/0.081/0.018 ms, ipg/ewma 3.133/0.015 ms
 *
 * The counts line may also carry `+N duplicates`, `+N corrupted` and
 * `+N errors`; the loss is printed with `%g` (so `0`, `19.6667`, `1e-05`);
 * the rtt line is absent when nothing was received and may end with
 * `, pipe N` and/or `, ipg/ewma a/b ms` (flood and adaptive modes).
 *
 * Flood mode (`-f`) with stdout not a terminal leaves one `.` per request and
 * `\b \b` per reply (`\bE` per error) in front of the summary; that noise is
 * ignored. The parser is pure: no I/O, no locale handling (run ping with
 * LC_ALL=C so the English strings are printed).
 */

export interface PingRtt {
  /** Milliseconds. */
  min: number;
  avg: number;
  max: number;
  /** Mean deviation ("mdev"); null when the output had only min/avg/max. */
  mdev: number | null;
}

export interface PingSummary {
  /** Destination as printed in "--- X ping statistics ---", if present. */
  destination: string | null;
  /** Payload size from the "PING host(addr) N data bytes" banner, if present. */
  dataBytes: number | null;
  transmitted: number;
  received: number;
  duplicates: number;
  corrupted: number;
  errors: number;
  /** Loss in percent, as printed by ping (0..100). */
  lossPercent: number;
  /** ping's own "time Nms" (first send to end); null if not printed. */
  timeMs: number | null;
  /** null when no reply was received (ping prints no rtt line then). */
  rtt: PingRtt | null;
  /** Largest number of requests in flight ("pipe N"), null if not printed. */
  pipe: number | null;
  /** Mean inter-packet gap in ms ("ipg/ewma a/b"), flood/adaptive mode only. */
  ipgMs: number | null;
  /** Exponentially weighted moving average RTT in ms ("ipg/ewma a/b"). */
  ewmaMs: number | null;
}

const NUM = String.raw`(\d+(?:\.\d+)?(?:e[+-]?\d+)?)`;

const COUNTS_RE = /(\d+) packets transmitted, (\d+) (?:packets )?received([^\n]*)/g;
const LOSS_RE = new RegExp(String.raw`${NUM}% packet loss`);
const TIME_RE = /\btime (\d+)\s*ms\b/;
const RTT_RE = new RegExp(
  String.raw`(?:rtt|round-trip) min/avg/max(/mdev)? = ${NUM}/${NUM}/${NUM}(?:/${NUM})? ms`,
);
const PIPE_RE = /\bpipe (\d+)\b/;
const IPG_RE = new RegExp(String.raw`ipg/ewma ${NUM}/${NUM} ms`);
const BANNER_RE = /^PING .*? (\d+)(?:\(\d+\))? (?:data bytes|bytes of data)/m;

function extra(rest: string, word: string): number {
  const m = new RegExp(String.raw`\+(\d+) ${word}`).exec(rest);
  return m ? Number(m[1]) : 0;
}

/**
 * Parse iputils ping output (stdout, optionally with stderr appended).
 * Returns null when the text contains no statistics summary, e.g. when ping
 * failed before sending ("ping: connect: Network is unreachable").
 * If several summaries are present the last one wins.
 */
export function parsePing(text: string): PingSummary | null {
  let counts: RegExpExecArray | null = null;
  for (const m of text.matchAll(COUNTS_RE)) counts = m as RegExpExecArray;
  if (counts === null) return null;

  const transmitted = Number(counts[1]);
  const received = Number(counts[2]);
  const rest = counts[3] ?? '';

  const lossM = LOSS_RE.exec(rest);
  const lossPercent = lossM
    ? Number(lossM[1])
    : transmitted > 0
      ? ((transmitted - received) * 100) / transmitted
      : 0;
  const timeM = TIME_RE.exec(rest);

  // Everything after the counts line belongs to this summary (rtt/pipe/ipg).
  const tail = text.slice((counts.index ?? 0) + counts[0].length);
  const rttM = RTT_RE.exec(tail);
  const ipgM = IPG_RE.exec(tail);
  const pipeM = PIPE_RE.exec(tail);

  // Destination: the "--- X ping statistics ---" header closest before it.
  const head = text.slice(0, counts.index ?? 0);
  let destination: string | null = null;
  for (const m of head.matchAll(/^--- (.+) ping statistics ---$/gm)) destination = m[1] ?? null;
  const banner = BANNER_RE.exec(text);

  return {
    destination,
    dataBytes: banner ? Number(banner[1]) : null,
    transmitted,
    received,
    duplicates: extra(rest, 'duplicates'),
    corrupted: extra(rest, 'corrupted'),
    errors: extra(rest, 'errors'),
    lossPercent,
    timeMs: timeM ? Number(timeM[1]) : null,
    rtt: rttM
      ? {
          min: Number(rttM[2]),
          avg: Number(rttM[3]),
          max: Number(rttM[4]),
          mdev: rttM[5] !== undefined ? Number(rttM[5]) : null,
        }
      : null,
    pipe: pipeM ? Number(pipeM[1]) : null,
    ipgMs: ipgM ? Number(ipgM[1]) : null,
    ewmaMs: ipgM ? Number(ipgM[2]) : null,
  };
}

/** Replies per second over ping's own "time" (null if time is 0 or unknown). */
export function packetsPerSecond(s: Pick<PingSummary, 'received' | 'timeMs'>): number | null {
  if (s.timeMs === null || s.timeMs <= 0) return null;
  return s.received / (s.timeMs / 1000);
}
