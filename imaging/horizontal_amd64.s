//go:build !purego

#include "textflag.h"

// func horizontalAVX2(out []uint64, row []byte, base []uint32, tab []byte)
//
// Per block of 8 outputs (see horizontalBlocks for tab's layout): one
// 16-byte load into both halves, two shuffles, two multiply-adds, the
// rounding, one 32-byte store of the block's 4 words.
TEXT ·horizontalAVX2(SB), NOSPLIT, $0-96
	MOVQ out_base+0(FP), DI
	MOVQ row_base+24(FP), SI
	MOVQ base_base+48(FP), BX
	MOVQ base_len+56(FP), CX
	MOVQ tab_base+72(FP), DX
	TESTQ CX, CX
	JZ    done

	MOVL         $32, AX // 1<<5, the rounding of 8.14 -> 8.8
	VMOVD        AX, X7
	VPBROADCASTD X7, Y7

block:
	MOVL           (BX), AX // zero-extended: base[k]
	VBROADCASTI128 (SI)(AX*1), Y0
	VPSHUFB        (DX), Y0, Y1   // (px[s], px[s+1]) per lane
	VPSHUFB        32(DX), Y0, Y2 // (px[s+2], px[s+3]) per lane
	VPMADDWD       64(DX), Y1, Y1
	VPMADDWD       96(DX), Y2, Y2
	VPADDD         Y2, Y1, Y1
	VPADDD         Y7, Y1, Y1
	VPSRLD         $6, Y1, Y1
	VMOVDQU        Y1, (DI)
	ADDQ           $4, BX
	ADDQ           $128, DX
	ADDQ           $32, DI
	DECQ           CX
	JNZ            block

done:
	VZEROUPPER
	RET
