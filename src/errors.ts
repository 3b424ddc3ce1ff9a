// Errors thrown at the API edge carry a stable `code` (STYLE.md 7), like Node's.

export type ErrorCode =
  | 'ERR_INVALID_ARG'
  | 'ERR_INVALID_ADDRESS'
  | 'ERR_INVALID_MAC'
  | 'ERR_UNKNOWN_ZONE'
  | 'ERR_ZONE_REQUIRED'
  | 'ERR_NO_SUCH_INTERFACE'
  | 'ERR_TOO_MANY_INTERFACES'
  | 'ERR_TOO_MANY_ADDRESSES'
  | 'ERR_ADDRESS_EXISTS'
  | 'ERR_STACK_CLOSED'
  | 'ERR_NO_SOURCE_ADDRESS'
  | 'ERR_NO_ROUTE'
  | 'ERR_ROUTE_EXISTS'
  | 'ERR_IDGEN_FAILED'
  | 'ERR_MESSAGE_TOO_BIG'
  | 'ERR_TAP_UNAVAILABLE'
  | 'ERR_WASM_LAYOUT'
  | 'ERR_CTL'
  | 'ERR_FRAGMENT_DF'
  | 'ERR_SOCKET_BAD_TYPE'
  | 'ERR_SOCKET_BAD_PORT'
  | 'ERR_SOCKET_ALREADY_BOUND'
  | 'ERR_SOCKET_DGRAM_NOT_RUNNING'
  | 'ERR_SOCKET_DGRAM_IS_CONNECTED'
  | 'ERR_SOCKET_DGRAM_NOT_CONNECTED'
  | 'ERR_MISSING_ARGS';

/** An error with a stable code; `cause` keeps the underlying error when there is one. */
export class WasagiError extends Error {
  readonly code: ErrorCode | string;
  constructor(code: ErrorCode | string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WasagiError';
    this.code = code;
  }
}

export function invalidArg(name: string, expected: string, got: unknown): WasagiError {
  const shown = typeof got === 'string' ? JSON.stringify(got) : String(got);
  return new WasagiError('ERR_INVALID_ARG', `The "${name}" argument must be ${expected}. Received ${shown}`);
}
