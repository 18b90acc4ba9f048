/**
 * The record file the Go benchmarks (bench/go) read: (kind byte, uvarint length, protobuf
 * bytes), kind 1 = ResourceType, 2 = Resource, 3 = Entitlement, 4 = Grant. Buffered, so
 * writing a million records costs a few hundred write calls.
 */
import { closeSync, openSync, writeSync } from "node:fs";

export const RECORD_KIND = { resourceType: 1, resource: 2, entitlement: 3, grant: 4 } as const;

export class RecordFileWriter {
  private readonly fd: number;
  private buffer = new Uint8Array(4 * 1024 * 1024);
  private used = 0;

  constructor(file: string) {
    this.fd = openSync(file, "w");
  }

  write(kind: number, bytes: Uint8Array): void {
    if (this.used + bytes.length + 11 > this.buffer.length) this.flush();
    if (bytes.length + 11 > this.buffer.length) this.buffer = new Uint8Array(bytes.length * 2);
    const buffer = this.buffer;
    buffer[this.used++] = kind;
    let n = bytes.length;
    while (n >= 0x80) {
      buffer[this.used++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buffer[this.used++] = n;
    buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    let offset = 0;
    while (offset < this.used) offset += writeSync(this.fd, this.buffer, offset, this.used - offset);
    this.used = 0;
  }
}
