# Every x86-64 relocation the linker handles that the C corpus does not produce, for comparison with GNU ld.
    .globl tiny
    .set tiny, 0x12
    .text
    .globl g
    .type g, @function
g:
    movabsq $far_symbol, %rax
    leaq far_symbol(%rip), %rcx
    call far_symbol@PLT
    movq far_symbol@GOTPCREL(%rip), %rdx
    movl $local_data, %esi
    movq $local_data, %rdi
    ret
    .size g, .-g

    .section .rodata
local_data:
    .quad far_symbol - .
    .short local_data - .
    .byte local_data - .
    .long far_symbol + 4
    .short tiny
    .byte tiny
    .long g@SIZE
    .quad g@SIZE + 1
