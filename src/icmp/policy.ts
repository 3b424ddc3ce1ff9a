// When an ICMPv6 error may be originated at all (RFC 4443 §2.4 e), before the
// rate limit (§2.4 f, ratelimit.ts) is asked. An error MUST NOT be originated
// in response to:
//   e.1  an ICMPv6 error message;
//   e.2  an ICMPv6 Redirect (RFC 4861 §4.5);
//   e.3  a packet destined to an IPv6 multicast address,
//   e.4  a packet sent as a link-layer multicast,
//   e.5  a packet sent as a link-layer broadcast —
//        except, for e.3–e.5, a Packet Too Big (PMTU discovery for
//        multicast) and a Parameter Problem code 2 for an unrecognized option
//        whose action bits are 10 (RFC 8200 §4.2: "regardless of whether or
//        not the packet's Destination Address was a multicast address");
//        action bits 11 ask for an error "only if the packet's Destination
//        Address was not a multicast address", and are not among e.3's
//        exceptions, so they get none to a link-layer multicast either;
//   e.6  a packet whose source does not identify a single node: the
//        unspecified address, a multicast address, or an address the
//        originator knows to be anycast. No exception.
// Pure function: the caller classifies the invoking packet (it has walked the
// header chain) and passes the unrecognized option's type byte.

import { isMulticast, isUnspecified, type Ip6 } from '../wire/address.js';
import { ICMP6_PACKET_TOO_BIG, ICMP6_PARAM_PROBLEM, ParamProblemCode } from '../wire/icmp6err.js';

/** What the policy needs to know about the packet that caused the error. */
export interface InvokingPacket {
  src: Ip6;
  dst: Ip6;
  /** Received as a link-layer multicast (e.4) — or broadcast (e.5), which Ethernet delivers as a group address too. */
  linkMulticast: boolean;
  /** Received as a link-layer broadcast (e.5), where the link tells them apart; same rule as linkMulticast. */
  linkBroadcast?: boolean;
  /** The header chain ends in an ICMPv6 error message (Type < 128). */
  isIcmpError: boolean;
  /** The header chain ends in an ICMPv6 Redirect (Type 137). */
  isRedirect: boolean;
}

/** The error that would be sent. */
export interface ErrorKind {
  type: number;
  code: number;
  /**
   * For Parameter Problem code 2: the unrecognized Option Type octet; its two
   * high-order bits are the action (RFC 8200 §4.2). Missing counts as 11, the
   * stricter of the two actions that ask for an error.
   */
  optionType?: number;
}

export interface PolicyOptions {
  /** True for addresses this node knows to be anycast (its own, RFC 4291 §2.6; e.6). */
  isOurAnycast?: (a: Ip6) => boolean;
}

/** Why no error is sent; each names the §2.4 (e) item it enforces. */
export type NoErrorReason =
  | 'invoking-is-error' // e.1
  | 'invoking-is-redirect' // e.2
  | 'option-action-silent' // RFC 8200 §4.2: action 00 skips, 01 discards silently
  | 'multicast-destination' // e.3 (and RFC 8200 §4.2 action 11)
  | 'link-multicast' // e.4
  | 'link-broadcast' // e.5
  | 'source-unspecified' // e.6
  | 'source-multicast' // e.6
  | 'source-anycast'; // e.6

export interface PolicyVerdict {
  send: boolean;
  reason?: NoErrorReason;
}

/** Option Type action bits (RFC 8200 §4.2): the two high-order bits. */
export const optionAction = (optionType: number): number => (optionType >> 6) & 0x3;

/** The two exceptions of RFC 4443 §2.4 e.3, which e.4 and e.5 share. */
function multicastException(error: ErrorKind): boolean {
  if (error.type === ICMP6_PACKET_TOO_BIG) return true;
  return (
    error.type === ICMP6_PARAM_PROBLEM &&
    error.code === ParamProblemCode.UNRECOGNIZED_OPTION &&
    error.optionType !== undefined &&
    optionAction(error.optionType) === 0b10
  );
}

const NO = (reason: NoErrorReason): PolicyVerdict => ({ send: false, reason });
const YES: PolicyVerdict = { send: true };

/** Whether RFC 4443 §2.4 (e) lets this node originate `error` about `invoking`. */
export function shouldSendError(invoking: InvokingPacket, error: ErrorKind, opts: PolicyOptions = {}): PolicyVerdict {
  if (invoking.isIcmpError) return NO('invoking-is-error'); // e.1
  if (invoking.isRedirect) return NO('invoking-is-redirect'); // e.2
  if (
    error.type === ICMP6_PARAM_PROBLEM &&
    error.code === ParamProblemCode.UNRECOGNIZED_OPTION &&
    error.optionType !== undefined &&
    optionAction(error.optionType) < 0b10
  ) {
    return NO('option-action-silent'); // RFC 8200 §4.2: 00 skip, 01 discard, no error either way
  }
  const exempt = multicastException(error);
  if (!exempt) {
    if (isMulticast(invoking.dst)) return NO('multicast-destination'); // e.3; RFC 8200 §4.2 action 11
    if (invoking.linkBroadcast) return NO('link-broadcast'); // e.5
    if (invoking.linkMulticast) return NO('link-multicast'); // e.4
  }
  // e.6: the error would go to the source, which must be one node.
  if (isUnspecified(invoking.src)) return NO('source-unspecified');
  if (isMulticast(invoking.src)) return NO('source-multicast');
  if (opts.isOurAnycast?.(invoking.src)) return NO('source-anycast');
  return YES;
}
