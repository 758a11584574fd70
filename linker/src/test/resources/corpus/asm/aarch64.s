// Every aarch64 relocation the linker handles that the C corpus does not produce, for comparison with GNU ld.
    .globl tiny
    .set tiny, 0x1234
    .text
    .globl f
    .type f, %function
    .balign 4
f:
    movz x0, #:abs_g3:far_symbol
    movk x0, #:abs_g2_nc:far_symbol
    movk x0, #:abs_g1_nc:far_symbol
    movk x0, #:abs_g0_nc:far_symbol
    movz x1, #:abs_g0:tiny
    movz x2, #:abs_g1:local_data
    movz x3, #:abs_g2:local_data
    adr x4, f
    ldr x5, literal
    b.eq f
    tbz x0, #3, f
    adrp x6, local_data
    add x6, x6, #:lo12:local_data
    ldrb w7, [x6, #:lo12:local_data]
    ldrh w7, [x6, #:lo12:local_data]
    ldr w7, [x6, #:lo12:local_data]
    ldr x7, [x6, #:lo12:local_data]
    ldr q0, [x6, #:lo12:local_data]
    adrp x8, :got:far_symbol
    ldr x8, [x8, #:got_lo12:far_symbol]
    bl far_symbol
    b far_symbol
    ret
    .size f, .-f
    .balign 8
literal:
    .xword 0

    .section .rodata
    .balign 16
local_data:
    .xword 1, 2
    .word far_symbol - .
    .xword far_symbol - .
    .hword local_data - .
    .word far_symbol
    .hword tiny
    .xword far_symbol + 8
