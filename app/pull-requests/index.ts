export type { ForgeSettings } from "./settings.ts";
export { servePullRequestRoute, startPullRequests, type PullRequestsRuntime } from "./start.ts";
export { PullRequestPlanner, type PlanOutcome, type PlannerOptions } from "./pr-planner.ts";
export { PullRequestService } from "./pr-service.ts";
export { publishComments, ownFirstPart, StatusPoster } from "./publish.ts";
export { publishFromCli, type CliPublishInput } from "./cli-publish.ts";
