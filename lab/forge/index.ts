export { startLabForge, type LabForge, type LabForgeOptions } from "./server.ts";
export type { LabForgeRepo, LabForgeUser, LoggedRequest, Fault, Permission } from "./forge-state.ts";
export type { Delivery, SignatureMode } from "./webhook-sender.ts";
export { SWAGGER_PATH } from "./body-schemas.ts";
