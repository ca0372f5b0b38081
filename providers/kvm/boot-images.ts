import { createHash } from "node:crypto";
import { chmod, copyFile, mkdir, readFile, rename, stat } from "node:fs/promises";
import { basename, join } from "node:path";

/**
 * Copies the kernel and initramfs the domains boot into `<stateDir>/.boot/` (world-readable, named by content hash):
 * QEMU runs as libvirt's unprivileged user and cannot read them where they usually are (e.g. under /root). A copy
 * of the same content is reused.
 */
export async function stageBootImages(
  stateDir: string,
  images: { readonly kernel: string; readonly initrd: string },
): Promise<{ kernel: string; initrd: string }> {
  const dir = join(stateDir, ".boot");
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(stateDir, 0o755);
  await chmod(dir, 0o755);
  const stage = async (src: string): Promise<string> => {
    const hash = createHash("sha256")
      .update(await readFile(src))
      .digest("hex")
      .slice(0, 16);
    const dest = join(dir, `${hash}-${basename(src)}`);
    if (
      await stat(dest).then(
        () => true,
        () => false,
      )
    )
      return dest;
    const tmp = `${dest}.tmp-${process.pid}`;
    await copyFile(src, tmp);
    await chmod(tmp, 0o644);
    await rename(tmp, dest);
    return dest;
  };
  return { kernel: await stage(images.kernel), initrd: await stage(images.initrd) };
}
