# Arithmetic loop: a xorshift64 generator summed N times, registers only.
# Input: N (u64) at offset 0. Returns the sum of the generated values.
ldxdw %r6, [%r1]
mov %r0, 88172645
mov %r2, 0
loop:
mov %r3, %r0
lsh %r3, 13
xor %r0, %r3
mov %r3, %r0
rsh %r3, 7
xor %r0, %r3
mov %r3, %r0
lsh %r3, 17
xor %r0, %r3
add %r2, %r0
sub %r6, 1
jne %r6, 0, loop
mov %r0, %r2
exit
