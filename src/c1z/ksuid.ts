/**
 * KSUID (segmentio/ksuid), the form of Baton sync ids: 4 bytes of seconds since
 * 1400000000 (2014-05-13) + 16 random bytes, as 27 base62 characters.
 */
export const KSUID_EPOCH_SECONDS = 1_400_000_000;
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const LENGTH = 27;

export function newKsuid(nowMs: number = Date.now(), random?: Uint8Array): string {
  const bytes = new Uint8Array(20);
  const seconds = Math.floor(nowMs / 1000) - KSUID_EPOCH_SECONDS;
  new DataView(bytes.buffer).setUint32(0, seconds >>> 0, false);
  bytes.set(random ?? crypto.getRandomValues(new Uint8Array(16)), 4);
  return encodeBase62(bytes);
}

export function isKsuid(id: string): boolean {
  if (!/^[0-9A-Za-z]{27}$/.test(id)) return false;
  return id <= "aWgEPTl1tmebfsQzFP4bxwgy80V"; // the largest 20-byte value
}

/** Unix seconds encoded in a KSUID. */
export function ksuidTimestamp(id: string): number {
  const bytes = decodeBase62(id);
  return new DataView(bytes.buffer).getUint32(0, false) + KSUID_EPOCH_SECONDS;
}

function encodeBase62(bytes: Uint8Array): string {
  const digits: number[] = [];
  let number = Array.from(bytes);
  while (number.length > 0) {
    const quotient: number[] = [];
    let remainder = 0;
    for (const byte of number) {
      const accumulator = remainder * 256 + byte;
      const q = Math.floor(accumulator / 62);
      remainder = accumulator % 62;
      if (quotient.length > 0 || q > 0) quotient.push(q);
    }
    digits.push(remainder);
    number = quotient;
  }
  let out = "";
  for (let i = digits.length - 1; i >= 0; i--) out += ALPHABET[digits[i]];
  return out.padStart(LENGTH, "0");
}

function decodeBase62(id: string): Uint8Array {
  if (!isKsuid(id)) throw new Error(`not a KSUID: ${JSON.stringify(id)}`);
  const out = new Uint8Array(20);
  for (const char of id) {
    let carry = ALPHABET.indexOf(char);
    for (let i = 19; i >= 0; i--) {
      const value = out[i] * 62 + carry;
      out[i] = value & 0xff;
      carry = Math.floor(value / 256);
    }
  }
  return out;
}
