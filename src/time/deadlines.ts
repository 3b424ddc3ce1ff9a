// Deadlines, not callbacks (STYLE.md 2): a binary min-heap of (deadline, key)
// with cancel-then-arm. Each key has at most one live deadline; re-arming
// replaces it in O(log n). One heap serves a million neighbor entries with no
// per-entry timer object and no periodic scan (paper §2).

import { NEVER, type Instant } from './instant.js';

/**
 * Where the heap keeps each key's position. The default is a Map; owners of
 * many object keys pass an accessor to a field on the key itself (intrusive),
 * which halves the cost of every sift.
 */
export interface HeapIndex<K> {
  get(k: K): number | undefined;
  set(k: K, i: number): void;
  delete(k: K): void;
}

export class DeadlineHeap<K> {
  private at: Instant[] = [];
  private keys: K[] = [];
  private pos: HeapIndex<K>;

  constructor(index?: HeapIndex<K>) {
    this.pos = index ?? new Map<K, number>();
  }

  get size(): number {
    return this.keys.length;
  }

  /** Earliest deadline, or NEVER. */
  next(): Instant {
    return this.at.length ? this.at[0] : NEVER;
  }

  /** Deadline armed for `key`, or undefined. */
  get(key: K): Instant | undefined {
    const i = this.pos.get(key);
    return i === undefined ? undefined : this.at[i];
  }

  /** Arms (or re-arms) `key` for `t`. */
  arm(key: K, t: Instant): void {
    const i = this.pos.get(key);
    if (i !== undefined) {
      const old = this.at[i];
      this.at[i] = t;
      if (t < old) this.up(i);
      else this.down(i);
      return;
    }
    this.at.push(t);
    this.keys.push(key);
    this.pos.set(key, this.keys.length - 1);
    this.up(this.keys.length - 1);
  }

  cancel(key: K): void {
    const i = this.pos.get(key);
    if (i === undefined) return;
    const last = this.keys.length - 1;
    this.swap(i, last);
    this.at.pop();
    this.keys.pop();
    this.pos.delete(key);
    if (i < last) {
      this.up(i);
      this.down(i);
    }
  }

  /** Removes and returns the key of the earliest deadline if it is ≤ now. */
  popDue(now: Instant): K | undefined {
    if (!this.at.length || this.at[0] > now) return undefined;
    const k = this.keys[0];
    this.cancel(k);
    return k;
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p] <= this.at[i]) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.at.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.at[l] < this.at[m]) m = l;
      if (r < n && this.at[r] < this.at[m]) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(i: number, j: number): void {
    if (i === j) return;
    [this.at[i], this.at[j]] = [this.at[j], this.at[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
    this.pos.set(this.keys[i], i);
    this.pos.set(this.keys[j], j);
  }
}
