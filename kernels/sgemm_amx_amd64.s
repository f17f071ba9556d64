//go:build amd64 && !purego

#include "textflag.h"

// The AMX micro-kernel of SgemmBF16: a 32 x 32 tile of C in four AMX tile
// registers, from a 32-row panel of A whose rows hold bfloat16 pairs of
// consecutive k-steps (rows lda floats apart) and a micro-panel of B in
// pairs of k-rows, 32 columns (128 bytes) a row: exactly the layouts
// TDPBF16PS reads for its first operand (a row of 16 pairs) and second
// (16 pair-rows of 16 columns).
//
// Tiles (all 16 rows of 64 bytes, the configuration in amxConfig):
//	tmm0 tmm1	C rows 0..15, columns 0..15 and 16..31
//	tmm2 tmm3	C rows 16..31, columns 0..15 and 16..31
//	tmm4 tmm5	A rows 0..15 and 16..31, 16 pairs
//	tmm6 tmm7	B 16 pair-rows, columns 0..15 and 16..31
//
// The Go assembler knows no AMX instruction; the macros below are the
// encodings GNU as gives for these operands (VEX, map 0F38).

// LDTILECFG (AX)
#define LDTILECFG_AX BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00
#define TILERELEASE BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0

// TILEZERO tmm0..tmm3
#define ZERO_C \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd8

// TILELOADD tmm4, (SI)(DX*1); tmm5, (DI)(DX*1); tmm6, (BX)(CX*1);
// tmm7, 64(BX)(CX*1)
#define LOAD_AB \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x16; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x17; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x0b; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x7c; BYTE $0x0b; BYTE $0x40

// TDPBF16PS tmm0, tmm4, tmm6; tmm1, tmm4, tmm7; tmm2, tmm5, tmm6;
// tmm3, tmm5, tmm7
#define DOT_BF16 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xd5; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xdd

// TDPBUSD (unsigned by signed bytes, int32 sums) on the same tiles.
#define DOT_U8S8 \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x49; BYTE $0x5e; BYTE $0xc4; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x41; BYTE $0x5e; BYTE $0xcc; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x49; BYTE $0x5e; BYTE $0xd5; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x41; BYTE $0x5e; BYTE $0xdd

// TILELOADD tmm0, (R8)(R9*1); tmm1, 64(R8)(R9*1); tmm2, (R13)(R9*1);
// tmm3, 64(R13)(R9*1)
#define LOAD_C \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x04; BYTE $0x08; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x4c; BYTE $0x08; BYTE $0x40; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x54; BYTE $0x0d; BYTE $0x00; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x5c; BYTE $0x0d; BYTE $0x40

// TILESTORED to the same places.
#define STORE_C \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x08; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x4c; BYTE $0x08; BYTE $0x40; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x54; BYTE $0x0d; BYTE $0x00; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x5c; BYTE $0x0d; BYTE $0x40

// TILESTORED (R12)(CX*1), tmm0; 64(R12)(CX*1), tmm1; 2048(R12)(CX*1), tmm2;
// 2112(R12)(CX*1), tmm3: the tile as 32 rows of 128 bytes at R12 (CX = 128).
#define STORE_ACC \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x0c; \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x4c; BYTE $0x0c; BYTE $0x40; \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x94; BYTE $0x0c; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00; \
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x9c; BYTE $0x0c; BYTE $0x40; BYTE $0x08; BYTE $0x00; BYTE $0x00

// amxConfig is the tile configuration: palette 1, tiles 0..7 of 16 rows
// of 64 bytes.
DATA ·amxConfig+0(SB)/8, $1
DATA ·amxConfig+8(SB)/8, $0
DATA ·amxConfig+16(SB)/8, $0x0040004000400040
DATA ·amxConfig+24(SB)/8, $0x0040004000400040
DATA ·amxConfig+32(SB)/8, $0
DATA ·amxConfig+40(SB)/8, $0
DATA ·amxConfig+48(SB)/8, $0x1010101010101010
DATA ·amxConfig+56(SB)/8, $0
GLOBL ·amxConfig(SB), RODATA|NOPTR, $64

// Frame: 0..4095 the tile as floats (the general store), 4096..6143 the
// last k-steps of A (32 rows of 16 pairs, zero past the panel's end),
// 6144..8191 those of B (16 pair-rows of 128 bytes, zero past the end).
#define TAILA 4096
#define TAILB 6144

// func amxKernel(pairs int, a *float32, lda int, b *float32, c *float32, ldc, mr, nr int, alpha, beta float32, mode int)
//
// mode 0: C = alpha*A*B + beta*C for the mr x nr corner (C not read when
// beta is 0), through the frame. mode 1: C = A*B, mode 2: C += A*B, for
// the whole 32 x 32 tile, straight from and to the tile registers. With
// int8 != 0 the panels hold bytes (A unsigned, B signed, 4 per 32-bit
// element) and the sums are int32, stored as they are (mode 1 only).
//
// Registers:
//	SI, DI	A rows 0 and 16 at the current k-step; DX lda in bytes
//	BX	B at the current k-step; CX 128
//	R8	C; R9 ldc in bytes; R13 C row 16
//	R10	whole steps of 16 pairs left; R11 pairs in the last, partial step
//	R12	the frame
TEXT ·amxKernel(SB), $8192-88
	MOVQ pairs+0(FP), R10
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), DX
	MOVQ b+24(FP), BX
	MOVQ c+32(FP), R8
	MOVQ ldc+40(FP), R9
	SHLQ $2, DX
	SHLQ $2, R9
	MOVQ $128, CX
	LEAQ 0(SP), R12
	MOVQ DX, AX
	SHLQ $4, AX
	LEAQ (SI)(AX*1), DI
	MOVQ R9, R13
	SHLQ $4, R13
	ADDQ R8, R13

	LEAQ ·amxConfig(SB), AX
	LDTILECFG_AX

	MOVQ mode+72(FP), AX
	CMPQ AX, $2
	JNE  zero
	LOAD_C
	JMP  steps

zero:
	ZERO_C

steps:
	MOVQ int8+80(FP), R14
	MOVQ R10, R11
	ANDQ $15, R11
	SHRQ $4, R10
	JZ   tail

loop:
	LOAD_AB
	TESTQ R14, R14
	JNZ   loop8
	DOT_BF16
	JMP   next

loop8:
	DOT_U8S8

next:
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $2048, BX
	DECQ R10
	JNZ  loop

tail:
	TESTQ R11, R11
	JZ    store

	// Copy the last pairs of A's 32 rows to the frame, zero-padded to 16.
	MOVQ R11, CX
	MOVL $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	LEAQ TAILA(R12), AX
	MOVQ $16, CX

tailA:
	VMOVDQU32.Z (SI), K1, Z0
	VMOVDQU32.Z (DI), K1, Z1
	VMOVDQU32   Z0, (AX)
	VMOVDQU32   Z1, 1024(AX)
	ADDQ        DX, SI
	ADDQ        DX, DI
	ADDQ        $64, AX
	DECQ        CX
	JNZ         tailA

	// B's last pair-rows, then zero rows up to 16.
	LEAQ TAILB(R12), AX
	MOVQ R11, CX

tailB:
	VMOVDQU32 (BX), Z0
	VMOVDQU32 64(BX), Z1
	VMOVDQU32 Z0, (AX)
	VMOVDQU32 Z1, 64(AX)
	ADDQ      $128, BX
	ADDQ      $128, AX
	DECQ      CX
	JNZ       tailB

	VPXORD Z0, Z0, Z0
	MOVQ   $16, CX
	SUBQ   R11, CX

zeroB:
	VMOVDQU32 Z0, (AX)
	VMOVDQU32 Z0, 64(AX)
	ADDQ      $128, AX
	DECQ      CX
	JNZ       zeroB

	LEAQ TAILA(R12), SI
	LEAQ (TAILA+1024)(R12), DI
	MOVQ $64, DX
	LEAQ TAILB(R12), BX
	MOVQ $128, CX
	LOAD_AB
	TESTQ R14, R14
	JNZ   tail8
	DOT_BF16
	JMP   store

tail8:
	DOT_U8S8

store:
	MOVQ  mode+72(FP), AX
	TESTQ AX, AX
	JZ    general
	STORE_C
	JMP   done

general:
	MOVQ $128, CX
	STORE_ACC

	// C = alpha*acc + beta*C, row by row, columns masked to nr.
	MOVQ mr+48(FP), R13
	MOVQ nr+56(FP), R10
	MOVQ $0xffff, AX
	CMPQ R10, $16
	JGE  mask1
	MOVQ R10, CX
	MOVL $1, AX
	SHLQ CX, AX
	DECQ AX

mask1:
	KMOVW AX, K1
	XORQ  AX, AX
	CMPQ  R10, $16
	JLE   mask2
	MOVQ  R10, CX
	SUBQ  $16, CX
	MOVL  $1, AX
	SHLQ  CX, AX
	DECQ  AX

mask2:
	KMOVW        AX, K2
	VBROADCASTSS alpha+64(FP), Z28
	VBROADCASTSS beta+68(FP), Z29
	MOVL         beta+68(FP), AX
	SHLL         $1, AX
	JZ           beta0
	CMPQ         R10, $16
	JLE          lo

hi:
	VMOVUPS     (R12), Z0
	VMOVUPS     64(R12), Z1
	VMOVUPS.Z   (R8), K1, Z2
	VMOVUPS.Z   64(R8), K2, Z3
	VMULPS      Z29, Z2, Z2
	VMULPS      Z29, Z3, Z3
	VFMADD231PS Z28, Z0, Z2
	VFMADD231PS Z28, Z1, Z3
	VMOVUPS     Z2, K1, (R8)
	VMOVUPS     Z3, K2, 64(R8)
	ADDQ        $128, R12
	ADDQ        R9, R8
	DECQ        R13
	JNZ         hi
	JMP         done

lo:
	VMOVUPS     (R12), Z0
	VMOVUPS.Z   (R8), K1, Z2
	VMULPS      Z29, Z2, Z2
	VFMADD231PS Z28, Z0, Z2
	VMOVUPS     Z2, K1, (R8)
	ADDQ        $128, R12
	ADDQ        R9, R8
	DECQ        R13
	JNZ         lo
	JMP         done

beta0:
	CMPQ R10, $16
	JLE  lob0

hib0:
	VMULPS  (R12), Z28, Z0
	VMULPS  64(R12), Z28, Z1
	VMOVUPS Z0, K1, (R8)
	VMOVUPS Z1, K2, 64(R8)
	ADDQ    $128, R12
	ADDQ    R9, R8
	DECQ    R13
	JNZ     hib0
	JMP     done

lob0:
	VMULPS  (R12), Z28, Z0
	VMOVUPS Z0, K1, (R8)
	ADDQ    $128, R12
	ADDQ    R9, R8
	DECQ    R13
	JNZ     lob0

done:
	TILERELEASE
	VZEROUPPER
	RET
