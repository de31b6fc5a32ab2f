//go:build !purego

#include "textflag.h"

// verticalPermd undoes the lane interleaving of VPACKUSDW and VPACKUSWB,
// which pack within each 128-bit half: after them the 4-byte groups hold
// outputs 0-3, 8-11, 16-19, 24-27, 4-7, 12-15, 20-23, 28-31.
DATA verticalPermd<>+0(SB)/4, $0
DATA verticalPermd<>+4(SB)/4, $4
DATA verticalPermd<>+8(SB)/4, $1
DATA verticalPermd<>+12(SB)/4, $5
DATA verticalPermd<>+16(SB)/4, $2
DATA verticalPermd<>+20(SB)/4, $6
DATA verticalPermd<>+24(SB)/4, $3
DATA verticalPermd<>+28(SB)/4, $7
GLOBL verticalPermd<>(SB), RODATA|NOPTR, $32

// func verticalRowAVX2(out []uint8, rows [][]uint64, w []uint16)
//
// Per block of 32 outputs (16 words, 128 bytes of each row): four
// accumulators of eight 32-bit lanes start at the rounding 1<<21; each
// tap adds its row's lanes times its weight; then >>22, and the low 8
// bits of each lane packed to bytes in order. The mask before the byte
// pack keeps verticalRowGo's uint8 truncation of a sum >= 256<<22 (only
// a sample above 255.0 in 8.8 makes one) where VPACKUSWB would saturate.
TEXT ·verticalRowAVX2(SB), NOSPLIT, $0-72
	MOVQ out_base+0(FP), DI
	MOVQ out_len+8(FP), CX
	MOVQ rows_base+24(FP), SI
	MOVQ w_base+48(FP), DX
	MOVQ w_len+56(FP), BX
	SHRQ $5, CX // blocks
	JZ   done

	MOVL         $0x200000, AX // 1<<21, the rounding of 8.22 -> 8
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8
	MOVL         $0x00ff00ff, AX // the low byte of each 16-bit word
	VMOVD        AX, X9
	VPBROADCASTD X9, Y9
	VMOVDQU      verticalPermd<>(SB), Y10
	XORQ         R8, R8 // byte offset of the block in each row

block:
	VMOVDQA Y8, Y0
	VMOVDQA Y8, Y1
	VMOVDQA Y8, Y2
	VMOVDQA Y8, Y3
	MOVQ    SI, R9  // the slice header of row k
	MOVQ    DX, R10 // &w[k]
	MOVQ    BX, R11 // taps left
	TESTQ   R11, R11
	JZ      pack

tap:
	MOVQ         (R9), R12
	ADDQ         R8, R12
	MOVWLZX      (R10), AX
	VMOVD        AX, X4
	VPBROADCASTD X4, Y4
	VPMULLD      (R12), Y4, Y5
	VPMULLD      32(R12), Y4, Y6
	VPADDD       Y5, Y0, Y0
	VPADDD       Y6, Y1, Y1
	VPMULLD      64(R12), Y4, Y5
	VPMULLD      96(R12), Y4, Y6
	VPADDD       Y5, Y2, Y2
	VPADDD       Y6, Y3, Y3
	ADDQ         $24, R9 // next slice header
	ADDQ         $2, R10
	DECQ         R11
	JNZ          tap

pack:
	VPSRLD    $22, Y0, Y0
	VPSRLD    $22, Y1, Y1
	VPSRLD    $22, Y2, Y2
	VPSRLD    $22, Y3, Y3
	VPACKUSDW Y1, Y0, Y0 // lanes < 1<<9: no saturation
	VPACKUSDW Y3, Y2, Y2
	VPAND     Y9, Y0, Y0
	VPAND     Y9, Y2, Y2
	VPACKUSWB Y2, Y0, Y0
	VPERMD    Y0, Y10, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $32, DI
	ADDQ      $128, R8
	DECQ      CX
	JNZ       block

done:
	VZEROUPPER
	RET
