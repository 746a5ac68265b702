/**
 * Who sent a request, as the front door's auth step found it. Routes that answer differently per caller (GET /
 * shows its model list only to a valid key; a stored response belongs to the key that created it) read it here
 * instead of checking keys again.
 */
export interface Caller {
  /** API keys are off, or the request carried a valid one. */
  authorized: boolean;
  /** SHA-256 (hex) of the caller's valid key, null when keys are off; never the key itself. */
  keyDigest: string | null;
}

/** A request that did not come through the front door is trusted with nothing. */
const NOBODY: Caller = { authorized: false, keyDigest: null };

const callers = new WeakMap<Request, Caller>();

/** Called by the front door on the request it hands to the routes. */
export function attachCaller(request: Request, caller: Caller): void {
  callers.set(request, caller);
}

export function callerOf(request: Request): Caller {
  return callers.get(request) ?? NOBODY;
}
