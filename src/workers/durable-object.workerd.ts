/** On workerd: the platform's base class, which makes the object's public methods callable over RPC. */
export { DurableObject } from "cloudflare:workers";
