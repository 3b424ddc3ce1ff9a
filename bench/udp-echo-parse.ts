/**
 * Parsing of the one-line JSON that bench/udp-echo-client.c prints, and the
 * arithmetic bench/udp-echo.ts does on it (ratios, the ≥ 0.5× target).
 * Kept apart from the harness so `npm test` covers it without root.
 *
 * The client prints either a result (every field below) or
 * {"error": "...", ...} with exit status 1 (e.g. no reply to the probes).
 */

/** One measured run of the client against one server. */
export interface ClientResult {
  family: 4 | 6;
  /** UDP payload bytes per request (and per reply). */
  size: number;
  /** Requests kept in flight. */
  window: number;
  /** A request unanswered this long is lost (its slot sends anew). */
  timeoutMs: number;
  /** Probe requests (1 s timeout each) until the first reply. */
  probes: number;
  warmupSent: number;
  warmupReceived: number;
  sent: number;
  /** Replies matched to an outstanding request, in time. */
  received: number;
  /** Requests that timed out. */
  lost: number;
  /** Replies after their request's timeout, duplicates, or leftovers of the warm-up. */
  late: number;
  /** Replies of the wrong length or with altered contents. */
  invalid: number;
  /** First request to last reply: the denominator of pps. */
  elapsedMs: number;
  /** First request to the end of the drain (includes waiting for lost requests). */
  wallMs: number;
  /** received / elapsedMs. */
  pps: number;
  rttMinMs: number | null;
  rttAvgMs: number | null;
  rttMaxMs: number | null;
  /** From a 1 µs histogram (values above 100 ms land in the 100 ms bucket). */
  rttP50Ms: number | null;
  rttP99Ms: number | null;
  rttP999Ms: number | null;
  /**
   * The RTT distribution: the non-empty buckets of a log-linear scale, as
   * [lo, hi, count] in µs with hi exclusive, ascending (1 µs wide below
   * 32 µs, then 16 per power of two; [100000, 100001) holds every RTT of
   * 100 ms or more). Counts add up to `received`. Empty when nothing was
   * received; null in the output of a client that predates the field.
   */
  rttHistUs: RttBucket[] | null;
}

/** One bucket of ClientResult.rttHistUs: [lo µs, hi µs (exclusive), count]. */
export type RttBucket = [loUs: number, hiUs: number, count: number];

export type ClientOutput = { ok: true; result: ClientResult } | { ok: false; error: string };

const COUNTS = ['probes', 'warmupSent', 'warmupReceived', 'sent', 'received', 'lost', 'late', 'invalid'] as const;
const TIMES = ['timeoutMs', 'elapsedMs', 'wallMs', 'pps'] as const;
const RTTS = ['rttMinMs', 'rttAvgMs', 'rttMaxMs', 'rttP50Ms', 'rttP99Ms', 'rttP999Ms'] as const;

/**
 * The client's stdout: the last line that is a JSON object is the result.
 * Returns null when there is no such line; an error object when the client
 * reported one or the object lacks a field (the reason names the field).
 */
export function parseClientOutput(stdout: string): ClientOutput | null {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{') && l.endsWith('}'));
  const last = lines[lines.length - 1];
  if (last === undefined) return null;
  let o: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(last);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    o = v as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof o.error === 'string') return { ok: false, error: o.error };
  const bad = (field: string): ClientOutput => ({ ok: false, error: `client output: bad or missing "${field}" in ${last}` });
  if (o.family !== 4 && o.family !== 6) return bad('family');
  for (const f of ['size', 'window', ...COUNTS] as const) {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return bad(f);
  }
  for (const f of TIMES) {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return bad(f);
  }
  for (const f of RTTS) {
    const v = o[f];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) return bad(f);
    if ((v === null) !== (o.received === 0)) return bad(f);
  }
  let hist: RttBucket[] | null = null;
  if (o.rttHistUs !== undefined) {
    hist = parseHistogram(o.rttHistUs, o.received as number);
    if (hist === null) return bad('rttHistUs');
  }
  const n = (f: string): number => o[f] as number;
  const r = (f: string): number | null => o[f] as number | null;
  return {
    ok: true,
    result: {
      family: o.family,
      size: n('size'),
      window: n('window'),
      timeoutMs: n('timeoutMs'),
      probes: n('probes'),
      warmupSent: n('warmupSent'),
      warmupReceived: n('warmupReceived'),
      sent: n('sent'),
      received: n('received'),
      lost: n('lost'),
      late: n('late'),
      invalid: n('invalid'),
      elapsedMs: n('elapsedMs'),
      wallMs: n('wallMs'),
      pps: n('pps'),
      rttMinMs: r('rttMinMs'),
      rttAvgMs: r('rttAvgMs'),
      rttMaxMs: r('rttMaxMs'),
      rttP50Ms: r('rttP50Ms'),
      rttP99Ms: r('rttP99Ms'),
      rttP999Ms: r('rttP999Ms'),
      rttHistUs: hist,
    },
  };
}

/** Most buckets the client prints (32 + 11 × 16 + 9 + 1); more means a different client. */
const MAX_BUCKETS = 1000;

/**
 * rttHistUs checked: an array of [lo, hi, count] non-negative integers with
 * lo < hi, count ≥ 1, ascending without overlap, counts adding up to
 * `received`. Null when any of that fails.
 */
function parseHistogram(v: unknown, received: number): RttBucket[] | null {
  if (!Array.isArray(v) || v.length > MAX_BUCKETS) return null;
  const out: RttBucket[] = [];
  let prevHi = 0;
  let total = 0;
  for (const b of v as unknown[]) {
    if (!Array.isArray(b) || b.length !== 3 || !b.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) return null;
    const [lo, hi, count] = b as [number, number, number];
    if (lo < prevHi || hi <= lo || count < 1) return null;
    out.push([lo, hi, count]);
    prevHi = hi;
    total += count;
  }
  return total === received ? out : null;
}

/** Lost requests as a percentage of those sent (null when nothing was sent). */
export function lossPercent(r: Pick<ClientResult, 'sent' | 'lost'>): number | null {
  return r.sent > 0 ? (100 * r.lost) / r.sent : null;
}

/** a / b for two rates, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !(b > 0)) return null;
  return a / b;
}

/** The target: wasagi answers at least half the kernel's rate. */
export const TARGET_RATIO = 0.5;

/** Whether a ratio against the kernel meets TARGET_RATIO (null when there is no ratio). */
export function meetsTarget(r: number | null): boolean | null {
  return r === null ? null : r >= TARGET_RATIO;
}
