// The stack's outputs: one StackEvent union on the stack's 'event' stream
// (STYLE.md 9). Addresses are printed in RFC 5952 form with zones for link-local.

export type NeighborEventState =
  | 'INCOMPLETE'
  | 'REACHABLE'
  | 'STALE'
  | 'DELAY'
  | 'PROBE'
  | 'UNREACHABLE'
  | 'FAILED'
  | 'DELETED'
  | 'EVICTED';

export type StackEvent =
  | { type: 'InterfaceAdded'; ifindex: number; name: string; kind: string; lladdr?: string; mtu: number }
  | { type: 'AddressAdded'; ifindex: number; interface: string; address: string; prefixLen: number; state: string; origin: string }
  | { type: 'AddressStateChanged'; ifindex: number; interface: string; address: string; state: 'preferred' | 'deprecated' | 'dadfailed' }
  | { type: 'AddressRemoved'; ifindex: number; interface: string; address: string; prefixLen: number }
  | { type: 'AddressConflict'; ifindex: number; interface: string; address: string }
  | { type: 'InterfaceDisabled'; ifindex: number; interface: string; reason: string }
  | {
      type: 'NeighborChanged';
      ifindex: number;
      interface: string;
      address: string;
      state: NeighborEventState;
      lladdr?: string;
      router: boolean;
    }
  | { type: 'ResolutionFailed'; ifindex: number; interface: string; address: string; dropped: number }
  | { type: 'RouterAdded'; ifindex: number; interface: string; address: string; preference: string; lifetime: number }
  | { type: 'RouterRemoved'; ifindex: number; interface: string; address: string; reason: string }
  | { type: 'DefaultRouterChanged'; ifindex: number; interface: string; address: string | null }
  | { type: 'PrefixAdded'; ifindex: number; interface: string; prefix: string; validLifetime: number }
  | { type: 'PrefixRemoved'; ifindex: number; interface: string; prefix: string; reason: string }
  | { type: 'LinkParamsChanged'; ifindex: number; interface: string; curHopLimit?: number; mtu?: number; baseReachableTime?: number; retransTimer?: number }
  | { type: 'DnsChanged'; ifindex: number; interface: string; servers: string[]; searchList: string[] }
  | { type: 'Redirected'; ifindex: number; interface: string; destination: string; target: string }
  | { type: 'Closed' };
