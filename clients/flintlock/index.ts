/** The Flintlock wire client: the MicroVM gRPC service of flintlockd v0.11, our own wire messages. */
export { FlintlockClient, SERVICE, type FlintlockClientOptions, type FlintlockEndpoint } from "./client.ts";
export { FlintlockError } from "./errors.ts";
export * from "./messages.ts";
export { ProtoDecodeError } from "./protobuf.ts";
