export type { ForgeSettings } from "./settings.ts";
