/** `namespace/name`: how the controller keys an agent and the microVMs made for it. */
export const agentKey = (o: { namespace: string; name: string }): string => `${o.namespace}/${o.name}`;
