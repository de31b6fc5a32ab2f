//go:build !purego

#include "textflag.h"

// The weights of a 32-byte block's bytes in s2: byte i adds (32-i)·b_i,
// because it is summed into s1 32-i times before the next block.
DATA adlerWeights<>+0(SB)/8, $0x191a1b1c1d1e1f20
DATA adlerWeights<>+8(SB)/8, $0x1112131415161718
DATA adlerWeights<>+16(SB)/8, $0x090a0b0c0d0e0f10
DATA adlerWeights<>+24(SB)/8, $0x0102030405060708
GLOBL adlerWeights<>(SB), RODATA|NOPTR, $32

// adlerChunk is how many bytes (173 blocks of 32) are summed in vector lanes
// before they are folded into s1 and s2 and reduced mod 65521. Per chunk of
// k blocks, from zeroed lanes, with every byte 255:
//
//	s1 lanes (VPSADBW)  Σ = 8160·k
//	prefix lanes        Σ = 8160·k(k-1)/2, added to s2 as 32·Σ
//	s2 lanes (weights)  Σ = 255·528·k = 134640·k
//
// and the fold sums 32·prefix + s2 lanes in 32 bits: 130560·k(k-1) +
// 134640·k < 2³² up to k = 181. k = 173 is zlib's NMAX (5552) rounded down
// to whole blocks: with s1, s2 ≤ 65520 before the chunk the whole new s2
// stays below 2³² too (3,908,236,080 + 65520 + 65520·5536 = 4,271,020,320),
// which leaves the 64-bit scalar fold a margin it does not need.
// TestAdler32NearBound runs all-0xFF chunks from s1 = s2 = 65520.
#define adlerChunk 5536

// func adler32AVX2(adler uint32, p []byte) uint32
TEXT ·adler32AVX2(SB), NOSPLIT, $0-36
	MOVL adler+0(FP), R9
	MOVL R9, R10
	ANDL $0xffff, R9              // s1
	SHRL $16, R10                 // s2
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), CX
	ANDQ $-32, CX                 // whole blocks only; the caller sums the tail
	MOVL $65521, R11

	VMOVDQU adlerWeights<>(SB), Y6
	VPCMPEQB Y7, Y7, Y7
	VPSRLW   $15, Y7, Y7          // int16 ones, to widen VPMADDUBSW's pairs
	VPXOR    Y0, Y0, Y0           // zero, VPSADBW's other operand

chunk:
	TESTQ CX, CX
	JZ    done
	MOVQ    $adlerChunk, BX
	CMPQ    CX, BX
	CMOVQLT CX, BX                // BX = this chunk's bytes
	SUBQ    BX, CX

	// Each byte of the chunk adds the s1 from before the chunk to s2 once.
	MOVQ  R9, R8
	IMULQ BX, R8
	ADDQ  R8, R10

	VPXOR Y1, Y1, Y1              // s1 lanes: byte sums, 4 qwords
	VPXOR Y2, Y2, Y2              // s2 lanes: weighted byte sums, 8 dwords
	VPXOR Y3, Y3, Y3              // prefix lanes: s1 lanes before each block
	LEAQ  (SI)(BX*1), DI

block:
	VMOVDQU    (SI), Y4
	VPADDD     Y1, Y3, Y3
	VPSADBW    Y0, Y4, Y5
	VPADDD     Y5, Y1, Y1
	VPMADDUBSW Y6, Y4, Y4         // unsigned bytes · signed weights, pairs to int16
	VPMADDWD   Y7, Y4, Y4         // pairs of int16 to int32
	VPADDD     Y4, Y2, Y2
	ADDQ       $32, SI
	CMPQ       SI, DI
	JNE        block

	// s2 lanes += 32 · prefix lanes: each block's earlier bytes are in s1
	// for all 32 of its bytes.
	VPSLLD $5, Y3, Y3
	VPADDD Y3, Y2, Y2

	// s1 += Σ s1 lanes (their high dwords are zero).
	VEXTRACTI128 $1, Y1, X4
	VPADDD       X4, X1, X1
	VPSHUFD      $0x4e, X1, X4
	VPADDD       X4, X1, X1
	VMOVD        X1, R8
	ADDQ         R8, R9

	// s2 += Σ s2 lanes.
	VEXTRACTI128 $1, Y2, X4
	VPADDD       X4, X2, X2
	VPSHUFD      $0x4e, X2, X4
	VPADDD       X4, X2, X2
	VPSHUFD      $0xb1, X2, X4
	VPADDD       X4, X2, X2
	VMOVD        X2, R8
	ADDQ         R8, R10

	// Reduce both mod 65521; one division each per 5536 bytes is cheap.
	MOVQ R9, AX
	XORL DX, DX
	DIVQ R11
	MOVQ DX, R9
	MOVQ R10, AX
	XORL DX, DX
	DIVQ R11
	MOVQ DX, R10
	JMP  chunk

done:
	SHLL $16, R10
	ORL  R10, R9
	MOVL R9, ret+32(FP)
	VZEROUPPER
	RET
