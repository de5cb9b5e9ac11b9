# Memory loop: N passes over the input's words after the count, each word read,
# summed, incremented and written back. Input: N (u64), then the words.
ldxdw %r6, [%r1]
mov %r7, %r1
add %r7, 8
mov %r8, %r2
sub %r8, 8
rsh %r8, 3
mov %r0, 0
outer:
mov %r3, %r7
mov %r4, %r8
inner:
ldxdw %r5, [%r3]
add %r0, %r5
add %r5, 1
stxdw [%r3], %r5
add %r3, 8
sub %r4, 1
jne %r4, 0, inner
sub %r6, 1
jne %r6, 0, outer
exit
