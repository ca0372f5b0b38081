/** Types of scripts/build-agent.mjs (the device agent's one-file CommonJS bundle). */
export declare const defaultAgentBundle: string;
export declare function buildAgent(outfile?: string): Promise<string>;
