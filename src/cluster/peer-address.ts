/**
 * Where a node's media may go: the RTC address it registered. Pipe requests and replies arrive over
 * the cluster bus, which anyone who can publish on Redis can write to; checking the address they
 * name against the registry keeps a forged message from pointing a PipeTransport at any ip:port.
 */
export type NodeAddressBook = (nodeId: string) => Promise<string | undefined>;

export class PeerAddressError extends Error {
  readonly code = 'pipe_peer_refused';
}

/** Resolves when `ip` is the registered address of `nodeId`; throws a PeerAddressError otherwise. */
export async function checkPeerAddress(book: NodeAddressBook, nodeId: string, ip: string): Promise<void> {
  const registered = await book(nodeId);
  if (registered === undefined) throw new PeerAddressError(`node ${nodeId} is not registered`);
  if (registered !== ip) throw new PeerAddressError(`node ${nodeId} is registered at ${registered}, not ${ip}`);
}
