// The Baton data model is the c1.connector.v2 protobuf; these re-exports give it one import path.
export type { Any, Struct, Timestamp } from "@bufbuild/protobuf/wkt";
export * from "../proto/gen/c1/c1z/v1/annotation_sync_details_pb.ts";
export * from "../proto/gen/c1/connector/v2/annotation_common_pb.ts";
export * from "../proto/gen/c1/connector/v2/annotation_entitlement_pb.ts";
export * from "../proto/gen/c1/connector/v2/annotation_grant_pb.ts";
export * from "../proto/gen/c1/connector/v2/annotation_resource_tree_pb.ts";
export * from "../proto/gen/c1/connector/v2/annotation_trait_pb.ts";
export * from "../proto/gen/c1/connector/v2/asset_pb.ts";
export * from "../proto/gen/c1/connector/v2/entitlement_pb.ts";
export * from "../proto/gen/c1/connector/v2/grant_pb.ts";
export * from "../proto/gen/c1/connector/v2/resource_pb.ts";
