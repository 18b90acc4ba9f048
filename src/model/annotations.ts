import { create, type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { toGoBinary } from "../proto/encode.ts";

export const TYPE_URL_PREFIX = "type.googleapis.com/";

/** Pack like Go's `anypb.New`: `type.googleapis.com/<full name>`, value encoded deterministically. */
export function packAny<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Any {
  return create(AnySchema, { typeUrl: TYPE_URL_PREFIX + schema.typeName, value: toGoBinary(schema, message) });
}

/** Go matches an Any by the name after the last `/` (`Any.MessageIs`). */
export function anyIs(any: Any, schema: DescMessage): boolean {
  return any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1) === schema.typeName;
}

/** The first annotation of the given type, decoded; unknown fields are kept. */
export function findAnnotation<Desc extends DescMessage>(
  annotations: readonly Any[],
  schema: Desc,
): MessageShape<Desc> | undefined {
  const found = annotations.find((any) => anyIs(any, schema));
  return found ? fromBinary(schema, found.value) : undefined;
}

export function findAllAnnotations<Desc extends DescMessage>(
  annotations: readonly Any[],
  schema: Desc,
): MessageShape<Desc>[] {
  return annotations.filter((any) => anyIs(any, schema)).map((any) => fromBinary(schema, any.value));
}

export function hasAnnotation(annotations: readonly Any[], schema: DescMessage): boolean {
  return annotations.some((any) => anyIs(any, schema));
}

export function withoutAnnotation(annotations: readonly Any[], schema: DescMessage): Any[] {
  return annotations.filter((any) => !anyIs(any, schema));
}
