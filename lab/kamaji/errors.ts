/** A failure of the lab Kamaji (CRD install, tenant control plane processes). */
export class KamajiLabError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KamajiLabError";
  }
}
