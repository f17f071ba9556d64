//go:build amd64 && !purego

#include "textflag.h"

// func sumRowsAVX512(dst, x *float32, rows, cols int)
//
// For each block of up to 16 columns (K1 masks the last), Z0 starts as
// dst's block and adds the block of every row in order; rows and cols are
// positive.
//
// Registers: DI the dst block, SI the block in the current row, DX the
// block in row 0, R8 the row stride in bytes, BX rows left, CX columns
// left.
TEXT ·sumRowsAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), DX
	MOVQ cols+24(FP), CX
	MOVQ CX, R8
	SHLQ $2, R8
	KXNORW K1, K1, K1

sumblock:
	CMPQ    CX, $16
	JGE     sumfull
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K1

sumfull:
	VMOVUPS.Z (DI), K1, Z0
	MOVQ      DX, SI
	MOVQ      rows+16(FP), BX

sumrow:
	VMOVUPS.Z (SI), K1, Z1
	VADDPS    Z1, Z0, Z0
	ADDQ      R8, SI
	DECQ      BX
	JNZ       sumrow
	VMOVUPS   Z0, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, DX
	SUBQ      $16, CX
	JG        sumblock
	VZEROUPPER
	RET
