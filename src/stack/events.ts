// The stack's outputs: one StackEvent union on the stack's 'event' stream
// (STYLE.md 9). Addresses are printed in RFC 5952 form with zones for link-local.

export type StackEvent =
  | { type: 'InterfaceAdded'; ifindex: number; name: string; kind: string; lladdr?: string; mtu: number }
  | { type: 'AddressAdded'; ifindex: number; interface: string; address: string; prefixLen: number }
  | {
      type: 'NeighborChanged';
      ifindex: number;
      interface: string;
      address: string;
      state: 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'DELETED';
      lladdr?: string;
      router: boolean;
    }
  | { type: 'ResolutionFailed'; ifindex: number; interface: string; address: string; dropped: number }
  | { type: 'Closed' };
