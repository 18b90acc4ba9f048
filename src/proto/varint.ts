/** Bytes a non-negative integer (below 2^53) takes as a protobuf varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
