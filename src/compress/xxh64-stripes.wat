;; XXH64's 32-byte stripe loop (see xxh64.ts). Memory: [0, 32) the four lanes v1..v4 as
;; little-endian i64, [64, 64 + 1 MiB) the input. `stripes(len)` runs every whole stripe of
;; the first `len` input bytes and returns how many bytes it consumed (a multiple of 32).
(module
  (memory (export "memory") 17)
  (func $round (param $acc i64) (param $lane i64) (result i64)
    (i64.mul
      (i64.rotl
        (i64.add (local.get $acc) (i64.mul (local.get $lane) (i64.const 0xc2b2ae3d27d4eb4f)))
        (i64.const 31))
      (i64.const 0x9e3779b185ebca87)))
  (func (export "stripes") (param $len i32) (result i32)
    (local $p i32) (local $end i32)
    (local $v1 i64) (local $v2 i64) (local $v3 i64) (local $v4 i64)
    (local.set $v1 (i64.load (i32.const 0)))
    (local.set $v2 (i64.load (i32.const 8)))
    (local.set $v3 (i64.load (i32.const 16)))
    (local.set $v4 (i64.load (i32.const 24)))
    (local.set $p (i32.const 64))
    ;; end = 64 + len rounded down to whole stripes
    (local.set $end (i32.add (i32.const 64) (i32.and (local.get $len) (i32.const -32))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v1 (call $round (local.get $v1) (i64.load offset=0 (local.get $p))))
        (local.set $v2 (call $round (local.get $v2) (i64.load offset=8 (local.get $p))))
        (local.set $v3 (call $round (local.get $v3) (i64.load offset=16 (local.get $p))))
        (local.set $v4 (call $round (local.get $v4) (i64.load offset=24 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $next)))
    (i64.store (i32.const 0) (local.get $v1))
    (i64.store (i32.const 8) (local.get $v2))
    (i64.store (i32.const 16) (local.get $v3))
    (i64.store (i32.const 24) (local.get $v4))
    (i32.sub (local.get $p) (i32.const 64))))
