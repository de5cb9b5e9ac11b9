# Stack loop: N rounds of spilling and reloading values through the stack
# (r10-relative stores and loads), as compiled C does under register pressure.
ldxdw %r6, [%r1]
mov %r0, 0
mov %r2, 1
loop:
stxdw [%r10-8], %r6
stxdw [%r10-16], %r2
ldxdw %r3, [%r10-8]
ldxdw %r4, [%r10-16]
add %r3, %r4
stxw [%r10-24], %r3
ldxw %r5, [%r10-24]
add %r0, %r5
add %r2, 3
sub %r6, 1
jne %r6, 0, loop
exit
