/**
 * protojson (the JSON Go's `protojson` prints) for the c1.connector.v2 messages,
 * with every annotation type registered so `Any` values print as `{"@type": ...}`.
 */

import type { JsonValue } from "@bufbuild/protobuf";
import { createRegistry, type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { file_google_protobuf_struct, file_google_protobuf_timestamp } from "@bufbuild/protobuf/wkt";
import { file_c1_c1z_v1_annotation_sync_details } from "../proto/gen/c1/c1z/v1/annotation_sync_details_pb.ts";
import { file_c1_connector_v2_annotation_common } from "../proto/gen/c1/connector/v2/annotation_common_pb.ts";
import { file_c1_connector_v2_annotation_entitlement } from "../proto/gen/c1/connector/v2/annotation_entitlement_pb.ts";
import { file_c1_connector_v2_annotation_grant } from "../proto/gen/c1/connector/v2/annotation_grant_pb.ts";
import { file_c1_connector_v2_annotation_resource_tree } from "../proto/gen/c1/connector/v2/annotation_resource_tree_pb.ts";
import { file_c1_connector_v2_annotation_trait } from "../proto/gen/c1/connector/v2/annotation_trait_pb.ts";
import { file_c1_connector_v2_asset } from "../proto/gen/c1/connector/v2/asset_pb.ts";
import { file_c1_connector_v2_entitlement } from "../proto/gen/c1/connector/v2/entitlement_pb.ts";
import { file_c1_connector_v2_grant } from "../proto/gen/c1/connector/v2/grant_pb.ts";
import { file_c1_connector_v2_resource } from "../proto/gen/c1/connector/v2/resource_pb.ts";

export const connectorRegistry = createRegistry(
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_c1_c1z_v1_annotation_sync_details,
  file_c1_connector_v2_annotation_common,
  file_c1_connector_v2_annotation_entitlement,
  file_c1_connector_v2_annotation_grant,
  file_c1_connector_v2_annotation_resource_tree,
  file_c1_connector_v2_annotation_trait,
  file_c1_connector_v2_asset,
  file_c1_connector_v2_entitlement,
  file_c1_connector_v2_grant,
  file_c1_connector_v2_resource,
);

/** Unknown annotation types (from newer Go SDKs) fall back to `{"@type", "value"}` instead of failing. */
export function toProtoJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): JsonValue {
  try {
    return toJson(schema, message, { registry: connectorRegistry });
  } catch {
    return toJson(schema, message);
  }
}
