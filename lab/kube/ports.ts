import { createServer } from "node:net";

/** A currently free TCP port on 127.0.0.1 (the OS picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        srv.close();
        reject(new Error("no port assigned"));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** `n` distinct free loopback ports. */
export async function freeLoopbackPorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freeLoopbackPort());
  return [...out];
}
