# Byte loop: N passes of a 16-bit one's-complement style checksum over the
# input's bytes after the count (byte loads, compares, branches).
ldxdw %r6, [%r1]
mov %r7, %r1
add %r7, 8
mov %r8, %r2
sub %r8, 8
mov %r0, 0
outer:
mov %r3, %r7
mov %r4, %r8
inner:
ldxb %r5, [%r3]
jgt %r5, 127, high
add %r0, %r5
ja next
high:
lsh %r5, 8
add %r0, %r5
next:
mov %r9, %r0
rsh %r9, 16
and %r0, 0xffff
add %r0, %r9
add %r3, 1
sub %r4, 1
jne %r4, 0, inner
sub %r6, 1
jne %r6, 0, outer
exit
