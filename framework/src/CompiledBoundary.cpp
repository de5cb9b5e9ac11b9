#include "morel/framework/CompiledBoundary.h"

#include <cstddef>

#include "morel/framework/CallTarget.h"
#include "morel/framework/GuestLimits.h"

// Both halves of the boundary are written here, in one place, so the record the
// entry pushes and the one the unwind pops cannot drift apart. x86-64 SysV only.
//
// The record, from the boundary RSP up (11 pushes after the return address, so
// the call into compiled code sees a 16-byte aligned stack):
//   +0 stores result word 0 (R11)   +8 GuestLimits* (R10)   +16 io
//   +24 framesLeft as the entry read it   +32 the previous boundary
//   +40 R15, R14, R13, R12, RBX, RBP   +88 the io entry's return address
//
// The innermost boundary is thread-local, not a GuestLimits word: compiled code
// of one runtime may call another's directly, and a trap there must still stop
// at the innermost boundary of the thread. Initial-exec, so the assembly reaches
// it at a fixed offset from FS.

extern "C" {
__attribute__((tls_model("initial-exec"))) thread_local uintptr_t morel_unwindBoundary = 0;
}

extern "C" morel::DirectResult morel_directAdapterBody(morel::CallTarget* self, uint64_t* io,
                                                       int64_t framesLeft, uint64_t a0, uint64_t a1,
                                                       uint64_t a2) {
  return morel::CallTarget::directAdapter(self, io, framesLeft, a0, a1, a2);
}

namespace morel {
static_assert(GuestLimits::framesLeftOffset() == 16, "the boundary's assembly reads it at +16");
uintptr_t innermostBoundary() {
  return morel_unwindBoundary;
}
}  // namespace morel

asm(R"(
    .text
    .intel_syntax noprefix

    .globl morel_enterCompiled
    .type morel_enterCompiled, @function
    .p2align 4
morel_enterCompiled:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov rdx, qword ptr [rip + morel_unwindBoundary@gottpoff]
    push qword ptr fs:[rdx]
    push qword ptr [r10 + 16]
    push rsi
    push r10
    push r11
    mov fs:[rdx], rsp
    mov r11, [r10 + 16]
    call rax
    cmp qword ptr [rsp], 0
    je 1f
    mov rsi, [rsp + 16]
    mov [rsi], rdx
1:
    xor eax, eax
.Lmorel_leave:
    mov r10, [rsp + 8]
    mov rdx, [rsp + 24]
    mov [r10 + 16], rdx
    mov rdx, [rsp + 32]
    mov rcx, qword ptr [rip + morel_unwindBoundary@gottpoff]
    mov fs:[rcx], rdx
    add rsp, 40
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
    .size morel_enterCompiled, . - morel_enterCompiled

    .globl morel_directAdapter
    .type morel_directAdapter, @function
    .p2align 4
morel_directAdapter:
    push r11
    mov rdx, r11
    call morel_directAdapterBody@PLT
    pop r11
    ret
    .size morel_directAdapter, . - morel_directAdapter

    .globl morel_unwind
    .type morel_unwind, @function
    .p2align 4
morel_unwind:
    mov rax, rdi
    mov rcx, qword ptr [rip + morel_unwindBoundary@gottpoff]
    mov rsp, fs:[rcx]
    jmp .Lmorel_leave
    .size morel_unwind, . - morel_unwind

    .att_syntax prefix
)");
