/** uid/gid of a user name or number, from /etc/passwd (no libc lookup on minimal devices). */
import { readFile } from "node:fs/promises";

export async function lookupUser(user: string): Promise<{ uid: number; gid: number }> {
  if (/^\d+$/.test(user)) return { uid: Number(user), gid: Number(user) };
  const passwd = await readFile("/etc/passwd", "utf8");
  for (const line of passwd.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === user && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`user "${user}" is not in /etc/passwd; create it on the device or change spec.execution.user`);
}
