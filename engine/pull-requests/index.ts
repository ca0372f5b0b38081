export type {
  ForgeComment,
  ForgeKind,
  ForgePull,
  ForgeReview,
  ReviewState,
  CommitState,
  CommitStatusInput,
} from "./types.ts";
export { parseMarker, renderMarker, validScope, type ApprovableWave, type Marker } from "./marker.ts";
export { ownComments, syncComments, type CommentOp } from "./comment-sync.ts";
export { approvableWaves, renderInvalidComment, renderPlanComment, type PlanCommentInput } from "./render-comment.ts";
export { GITHUB_BUDGET, packSections, type Budget, type Section } from "./split-parts.ts";
export {
  invalidDescription,
  MAX_DESCRIPTION,
  PENDING_DESCRIPTION,
  planCounts,
  planDescription,
  statusContext,
} from "./status-description.ts";
export {
  allowedAs,
  evaluateReviews,
  NO_APPROVERS,
  type ApprovalVerdict,
  type ApproverPolicy,
} from "./review-approvals.ts";
export { DeliveryLog } from "./deliveries.ts";
export {
  deliveryId,
  parsePullRequestEvent,
  verifySignature,
  type Headers,
  type PullRequestEvent,
} from "./webhook-events.ts";
export { commitFiles, type CommitIdentity } from "./commit-files.ts";
