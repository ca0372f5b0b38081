export {
  startGitServer,
  GIT_HTTP_BACKEND,
  type GitServer,
  type GitServerAuth,
  type GitServerOptions,
} from "./server.ts";
export {
  git,
  createBareRepo,
  pushDirectory,
  WorkTree,
  createSigningKey,
  disposeSigningKey,
  LAB_IDENTITY,
  type SigningKey,
  type GitRunOptions,
  type PushDirectoryOptions,
} from "./native-git.ts";
