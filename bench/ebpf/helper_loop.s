# Helper loop: N calls of the test helper sqrti (number 3 in uBPF's and Morel's
# test helpers), results summed. Input: N (u64) at offset 0.
ldxdw %r6, [%r1]
mov %r7, 0
loop:
mov %r1, %r6
call 3
add %r7, %r0
sub %r6, 1
jne %r6, 0, loop
mov %r0, %r7
exit
